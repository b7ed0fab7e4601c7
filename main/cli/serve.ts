// `unmask serve`: browser mode — the app's services over HTTP on 127.0.0.1 with a random access token.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnmaskError } from '../engine/errors.js';
import { defaultDbPath } from '../store/index.js';
import type { COMMANDS } from './commands.js';
import { queueFromFlags } from './options.js';
import type { ParsedCommand } from './spec.js';

const RENDERER_DIR = fileURLToPath(new URL('../../out/renderer', import.meta.url));

export async function serveCommand({ values }: ParsedCommand<typeof COMMANDS.serve.options>): Promise<number> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UnmaskError('BAD_ARGUMENT', `--port must be 0…65535, got '${values.port}'`);
  const token = values.token ?? process.env.UNMASK_TOKEN ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new UnmaskError('BAD_ARGUMENT', 'the access token must be at least 16 characters');
  const [{ createService }, { createHttpServer }, { launchNodeWorker }] = await Promise.all([
    import('../service/service.js'),
    import('../server/http.js'),
    import('../worker/launch.js'),
  ]);
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  // Workers find the same database through the environment.
  process.env.UNMASK_DB = dbPath;
  const dataRoot = values['data-root'] ?? process.env.UNMASK_DATA_ROOT ?? null;
  const queue = queueFromFlags(values);
  const service = createService({ dbPath, transport: 'http', launch: launchNodeWorker, dataRoot, ...(queue ? { queue } : {}) });
  const server = createHttpServer({ service, token, staticDir: RENDERER_DIR });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UnmaskError('BAD_ARGUMENT', `port ${port} is in use: pick another with --port N (0 = any free port)`) : error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`Unmask is running at http://127.0.0.1:${bound}/?token=${token}\n`);
  process.stderr.write(`database ${dbPath}; press Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close();
      server.closeAllConnections();
      void service.close().finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
