# SPDX-License-Identifier: GPL-2.0-only
# bash completion for ioasidctl(1)
_ioasidctl()
{
	local cur prev words cword cmd w
	_init_completion || return
	for w in "${words[@]:1:cword-1}"; do
		case $w in list|show|stats|monitor) cmd=$w ;; esac
	done
	case $prev in
	-n|--count) return ;;
	ctx|pid) return ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W '--json --count --help' -- "$cur")
		return
	fi
	case $cmd in
	'') mapfile -t COMPREPLY < <(compgen -W 'list show stats monitor' -- "$cur") ;;
	show) mapfile -t COMPREPLY < <(compgen -W 'ctx pid' -- "$cur") ;;
	esac
} &&
	complete -F _ioasidctl ioasidctl
