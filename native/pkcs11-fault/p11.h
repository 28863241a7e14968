/*
 * Platform macros required by the OASIS PKCS#11 2.40 headers (pkcs11.h expects the
 * includer to define them), for Unix-like systems with the default struct packing.
 * The headers themselves come from pkcs11js (node_modules/pkcs11js/includes/pkcs11);
 * native/build.sh puts that directory on the include path.
 */
#ifndef KYSO_FAULT_P11_H
#define KYSO_FAULT_P11_H

#define CK_PTR *
#define CK_DECLARE_FUNCTION(returnType, name) returnType name
#define CK_DECLARE_FUNCTION_POINTER(returnType, name) returnType(*name)
#define CK_CALLBACK_FUNCTION(returnType, name) returnType(*name)
#define CK_DEFINE_FUNCTION(returnType, name) returnType name
#ifndef NULL_PTR
#define NULL_PTR 0
#endif

#include "pkcs11.h"

#endif /* KYSO_FAULT_P11_H */
