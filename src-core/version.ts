import pkg from '../package.json' with { type: 'json' };

export const PRODUCT_NAME: string = pkg.productName;
export const VERSION: string = pkg.version;
