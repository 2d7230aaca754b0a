import type { Command } from 'commander';
import { CliError } from '../cli-error.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** One command path (`sessions list`) with its sub-command names and flags. */
interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

/**
 * Registers `opendray completion bash|zsh|fish`: a script completing sub-commands and
 * flags, generated from the command tree itself so it never goes stale.
 */
export function register(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script: eval "$(opendray completion bash)", or see docs/cli.md')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(`opendray: completion: the shell must be one of ${SHELLS.join(', ')}`, 2);
      process.stdout.write(script(shell as Shell, walk(program, [])));
    });
}

function walk(cmd: Command, path: string[]): Node[] {
  const visible = cmd.commands.filter((c) => c.name() !== 'help');
  const flags = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const node: Node = { path, subcommands: visible.flatMap((c) => [c.name(), ...c.aliases()]), flags: [...flags, '--help'] };
  return [node, ...visible.flatMap((c) => [c.name(), ...c.aliases()].flatMap((n) => walk(c, [...path, n])))];
}

function script(shell: Shell, nodes: Node[]): string {
  if (shell === 'bash') return bash(nodes);
  if (shell === 'zsh') return `#compdef opendray\nautoload -U +X bashcompinit && bashcompinit\n${bash(nodes)}`;
  return fish(nodes);
}

/** bash (and zsh through bashcompinit): the words after `opendray` pick a node; complete its words. */
function bash(nodes: Node[]): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.flags].join(' ')}" ;;`)
    .join('\n');
  return `_opendray() {
  local cur path="" w i words=""
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${nodes.map((n) => `      "${n.path.join(' ')}") path="${n.path.join(' ')}" ;;`).filter((l) => !l.includes('"")')).join('\n')}
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _opendray opendray
`;
}

function fish(nodes: Node[]): string {
  const lines = ['complete -c opendray -f'];
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}${n.path.length > 1 ? `; and __fish_seen_subcommand_from ${n.path[0]}` : ''}`;
    if (n.subcommands.length) lines.push(`complete -c opendray -n '${cond}' -a '${n.subcommands.join(' ')}'`);
    for (const f of n.flags.filter((f) => f.startsWith('--'))) lines.push(`complete -c opendray -n '${cond}' -l ${f.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}
