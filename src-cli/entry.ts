/**
 * The `kyso` executable's entry: the one place that assembles commands from every layer. It may
 * import src-core and src-server (and src-shared), nothing from Electron or the renderer.
 */
import { main } from '../src-core/cli/main.js';
import { runServerCommand } from '../src-server/cli.js';
import { engineInspector } from '../src-server/domain/engine-inspector.js';
import { runDemo } from '../src-core/cli/commands/demo.js';
import { startDemoServer } from './demo.js';

void main({
  server: (args, ctx) => runServerCommand(args, ctx, { inspector: engineInspector }),
  demo: (args, ctx) => runDemo(args, ctx, startDemoServer),
});
