// electron-builder custom signing hook (win.signtoolOptions.sign). The organisation signs with
// its own certificate — often on a USB token — through a command it provides, e.g.
//   KYSO_CODESIGN_CMD='osslsigncode sign -pkcs11module /usr/lib/libeTPkcs11.so -certs org.pem -key "pkcs11:..." -h sha256 -t http://tsa.ca.gov.vn -in "{in}" -out "{out}"'
// Without it, builds stay unsigned and say so (fine for tests, refused by updaters on Windows).
const { execSync } = require('node:child_process');
const { renameSync } = require('node:fs');

async function sign(config) {
  const cmd = process.env.KYSO_CODESIGN_CMD;
  if (!cmd) {
    console.log(`sign-windows: KYSO_CODESIGN_CMD not set, ${config.path} left unsigned`);
    return;
  }
  const out = `${config.path}.signed`;
  execSync(cmd.replaceAll('{in}', config.path).replaceAll('{out}', out), { stdio: 'inherit' });
  renameSync(out, config.path);
}

module.exports = sign;
module.exports.default = sign;
