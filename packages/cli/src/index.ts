export { main, buildProgram } from './main.js';
export { CliError } from './cli-error.js';
export { loadServeConfig, type ServeConfig } from './config/load.js';
