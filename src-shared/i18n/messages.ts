/**
 * Every user-visible string, Vietnamese first. The `vi` table defines the keys; `en` must
 * have exactly the same keys (the type enforces it), so a missing translation fails typecheck.
 * Placeholders use i18next syntax: {{name}}.
 */
export const vi = {
  'app.title': 'Ký Số',
  'app.tagline': 'Ký số văn bản điện tử bằng chứng thư số chuyên dùng Chính phủ',
  'app.language': 'Ngôn ngữ',
  'app.mode': 'Chế độ',
  'app.versionLabel': 'Phiên bản',
  'app.mode.electron': 'Ứng dụng máy tính',
  'app.mode.browser': 'Chế độ trình duyệt (127.0.0.1)',
  'nav.queue': 'Văn bản chờ xử lý',
  'nav.verify': 'Kiểm tra chữ ký',
  'nav.outbox': 'Hộp thư đi',
  'nav.settings': 'Cài đặt',
  'token.none': 'Chưa cắm thiết bị ký số (USB token)',
  'queue.empty': 'Không có văn bản nào chờ xử lý.',
  'queue.notConfigured': 'Chưa cấu hình máy chủ quản lý văn bản.',
  'status.engine': 'Bộ máy ký',
  'status.ready': 'Sẵn sàng',
  'error.usage': 'Cách dùng không đúng: {{detail}}',
  'error.unknownCommand': 'Lệnh không tồn tại: {{command}}. Xem "kyso --help".',
  'error.notImplemented': 'Chức năng "{{feature}}" chưa có trong phiên bản này.',
  'error.inputUnreadable': 'Không đọc được tệp: {{path}}',
  'error.inputMalformed': 'Tệp không hợp lệ: {{detail}}',
  'error.tokenUnavailable': 'Không tìm thấy thiết bị ký số: {{detail}}',
  'error.pinIncorrect': 'Mã PIN không đúng. Còn {{tries}} lần thử.',
  'error.pinLocked': 'Thiết bị ký số đã bị khóa PIN. Liên hệ đơn vị cấp chứng thư số.',
  'error.ipcForbidden': 'Yêu cầu bị từ chối: nguồn gọi không hợp lệ.',
  'error.ipcInvalid': 'Yêu cầu không hợp lệ: {{detail}}',
  'error.bridgeForbidden': 'Truy cập bị từ chối.',
  'error.internal': 'Đã xảy ra lỗi không mong muốn. Xem nhật ký để biết thêm.',
} as const;

export type MessageKey = keyof typeof vi;

export const en: Record<MessageKey, string> = {
  'app.title': 'Ký Số',
  'app.tagline': "Digital signing of electronic documents with the Government's special-use certificates",
  'app.language': 'Language',
  'app.mode': 'Mode',
  'app.versionLabel': 'Version',
  'app.mode.electron': 'Desktop app',
  'app.mode.browser': 'Browser mode (127.0.0.1)',
  'nav.queue': 'Documents waiting',
  'nav.verify': 'Verify signatures',
  'nav.outbox': 'Outbox',
  'nav.settings': 'Settings',
  'token.none': 'No signing token (USB token) plugged in',
  'queue.empty': 'No documents waiting.',
  'queue.notConfigured': 'No document workflow server configured.',
  'status.engine': 'Signing engine',
  'status.ready': 'Ready',
  'error.usage': 'Usage error: {{detail}}',
  'error.unknownCommand': 'Unknown command: {{command}}. See "kyso --help".',
  'error.notImplemented': '"{{feature}}" is not available in this version yet.',
  'error.inputUnreadable': 'Cannot read file: {{path}}',
  'error.inputMalformed': 'Invalid file: {{detail}}',
  'error.tokenUnavailable': 'Signing token not found: {{detail}}',
  'error.pinIncorrect': 'Wrong PIN. {{tries}} tries left.',
  'error.pinLocked': 'The token PIN is locked. Contact the certificate issuer.',
  'error.ipcForbidden': 'Request refused: invalid caller.',
  'error.ipcInvalid': 'Invalid request: {{detail}}',
  'error.bridgeForbidden': 'Access denied.',
  'error.internal': 'An unexpected error occurred. See the log for details.',
};

export const locales = ['vi', 'en'] as const;
export type Locale = (typeof locales)[number];
