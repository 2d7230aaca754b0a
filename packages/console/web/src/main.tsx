// The shim must patch the DOM before the terminal library loads (ES modules evaluate in import order).
import './csp-shim.js';
import '@xterm/xterm/css/xterm.css';
import '../styles/app.css';
import { render } from 'preact';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
