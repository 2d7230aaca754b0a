import type { ITheme } from '@xterm/xterm';
import type { Theme } from '../state/theme.js';

/** Terminal palettes matched to the page themes (readable ANSI colours on each background). */
export const TERMINAL_THEMES: Record<Theme, ITheme> = {
  dark: {
    background: '#0b0e14',
    foreground: '#d6dbe4',
    cursor: '#b4a7ff',
    cursorAccent: '#0b0e14',
    selectionBackground: '#3b3f73',
    black: '#1c2230',
    red: '#f47174',
    green: '#7fd88f',
    yellow: '#f0c674',
    blue: '#6cb6ff',
    magenta: '#c79bff',
    cyan: '#5fd7d7',
    white: '#d6dbe4',
    brightBlack: '#5c6370',
    brightRed: '#ff8b8e',
    brightGreen: '#9be9a8',
    brightYellow: '#ffd88a',
    brightBlue: '#8cc8ff',
    brightMagenta: '#dab8ff',
    brightCyan: '#86e6e6',
    brightWhite: '#ffffff',
  },
  light: {
    background: '#fbfbfd',
    foreground: '#24292f',
    cursor: '#5b4ce0',
    cursorAccent: '#fbfbfd',
    selectionBackground: '#c9c3ff',
    black: '#24292f',
    red: '#c62828',
    green: '#1f7a35',
    yellow: '#8a6100',
    blue: '#0b5cc4',
    magenta: '#7d3fc4',
    cyan: '#0f7386',
    white: '#6e7781',
    brightBlack: '#57606a',
    brightRed: '#d93b3b',
    brightGreen: '#2a8f45',
    brightYellow: '#9a6d00',
    brightBlue: '#2f74d8',
    brightMagenta: '#8f52d6',
    brightCyan: '#1b8a9e',
    brightWhite: '#8c959f',
  },
};

export const TERMINAL_FONT = 'ui-monospace, "SF Mono", "Cascadia Mono", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
