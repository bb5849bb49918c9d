# bash completion for glassbox (installed as $(DATADIR)/bash-completion/completions/glassbox).
# The names come from the binary itself, so they follow it: `glassbox --list-subcommands`, `glassbox
# --list-commands` (the TUI's commands, for `glassbox help NAME`) and each `glassbox SUB --help` for
# the subcommand's options. Needs nothing from the bash-completion package.

_glassbox_options() { # the --options a `glassbox SUB --help` (or the TUI's --help) mentions
    "$1" ${2:+"$2"} --help 2>/dev/null | grep -oE -- '(^|[[ |])-(-[a-z][a-z0-9-]*|[a-zA-Z])\b' |
        grep -oE -- '-[-a-zA-Z0-9]+' | sort -u
}

_glassbox() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local gb=${COMP_WORDS[0]}
    COMPREPLY=()

    # The subcommand: the first word after glassbox that names one.
    local subs sub="" i
    subs=$("$gb" --list-subcommands 2>/dev/null)
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ $'\n'$subs$'\n' == *$'\n'${COMP_WORDS[i]}$'\n'* ]] || [[ ${COMP_WORDS[i]} == help ]]; then
            sub=${COMP_WORDS[i]}
            break
        fi
    done

    # Arguments of options that take a value.
    case $prev in
    --model | -o | --record | --checkpoint | --file | --train | --heldout)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --tokenizer)
        mapfile -t COMPREPLY < <(compgen -W "gpt2 r50k_base cl100k_base o200k_base" -f -- "$cur")
        return
        ;;
    --view)
        mapfile -t COMPREPLY < <(compgen -W "tokens attention neighbours probs text" -- "$cur")
        return
        ;;
    --format)
        mapfile -t COMPREPLY < <(compgen -W "txt ansi csv svg" -- "$cur")
        return
        ;;
    --pattern)
        mapfile -t COMPREPLY < <(compgen -W "gpt2 cl100k o200k" -- "$cur")
        return
        ;;
    --type)
        mapfile -t COMPREPLY < <(compgen -W "f32 f16 bf16 q8_0" -- "$cur")
        return
        ;;
    --lesson) # a lesson's number in the course (its directory is on --version's "lessons" line), or a file
        local dir n=0 f
        dir=$("$gb" --version 2>/dev/null | awk '$1 == "lessons" { print $2 }')
        for f in "$dir"/*.lesson; do [[ -e $f ]] && n=$((n + 1)); done
        mapfile -t COMPREPLY < <(compgen -W "$( ((n > 0)) && seq 1 "$n")" -- "$cur")
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.lesson' -- "$cur")
        return
        ;;
    esac

    case $sub in
    "")
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --version --list-subcommands --list-commands
                $(_glassbox_options "$gb" tui)" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$subs help" -- "$cur")
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.lesson' -- "$cur")
        fi
        ;;
    help) # a subcommand's options or a TUI command's usage
        mapfile -t COMPREPLY < <(compgen -W "$subs $("$gb" --list-commands 2>/dev/null)" -- "$cur")
        ;;
    lesson)
        if [[ $prev == lesson ]]; then
            mapfile -t COMPREPLY < <(compgen -W "check" -- "$cur")
        elif [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_glassbox_options "$gb" lesson)" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -f -X '!*.lesson' -- "$cur")
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
        fi
        ;;
    *)
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_glassbox_options "$gb" "$sub")" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        ;;
    esac
}
complete -o filenames -F _glassbox glassbox
