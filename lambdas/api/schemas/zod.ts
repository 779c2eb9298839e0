import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/** zod with `.openapi()`: every schema module takes `z` from here, so the extension is in place before a schema is built. */
extendZodWithOpenApi(z);

export { z };
