# bash completion for iocage(8)                            -*- shell-script -*-
#
# Installed as share/bash-completion/completions/iocage, or loaded by hand:
#     source <(iocage completion bash)
#
# The script only talks to iocage: `iocage __complete -- WORD...` gets the
# words after "iocage" up to the one under the cursor and prints what may
# take its place, one candidate a line, so that the verbs, flags and
# arguments offered come from the same command table the command line is
# parsed with. A line ":file" or ":dir" asks for bash's own file or
# directory names instead.

_iocage() {
	local IFS=$' \t\n'
	local line=${COMP_LINE:0:COMP_POINT}
	local -a words
	# The words as typed, split at blanks only: COMP_WORDS is also split at
	# the characters of COMP_WORDBREAKS ("=", "@", ":" ...), which
	# PROPERTY=VALUE and NAME@SNAP hold.
	read -r -a words <<<"$line"
	if [[ -z $line || $line == *[[:blank:]] ]]; then
		words+=("")
	fi
	((${#words[@]} >= 2)) || return 0
	local cur=${words[${#words[@]}-1]}
	# An opening quote is the shell's, not part of the word.
	case $cur in
	[\"\']*) cur=${cur:1} ;;
	esac

	# Readline replaces only the part of the word after its last
	# COMP_WORDBREAKS character ("sn" of "web@sn"): each candidate, which
	# is a whole word, loses what comes before.
	local i strip=0
	for ((i = ${#cur} - 1; i >= 0; i--)); do
		if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]]; then
			strip=$((i + 1))
			break
		fi
	done

	local prog=${words[0]}
	[[ $prog == "~/"* ]] && prog=$HOME/${prog:2}
	local -a out
	mapfile -t out < <("$prog" __complete -- "${words[@]:1:${#words[@]}-2}" "$cur" 2>/dev/null)

	local c files=
	local -a found=()
	for c in "${out[@]}"; do
		case $c in
		:file | :dir) files=${c#:} ;;
		:*) ;; # a directive of a newer iocage
		*)
			c=${c:strip}
			[[ -n $c ]] && found+=("$c")
			;;
		esac
	done

	COMPREPLY=()
	if [[ -n $files ]]; then
		# Under -o filenames bash quotes every reply itself, and marks
		# directories with a slash.
		compopt -o filenames 2>/dev/null
		local -a paths=()
		if [[ $files == dir ]]; then
			mapfile -t paths < <(compgen -d -- "${cur:strip}")
		else
			mapfile -t paths < <(compgen -f -- "${cur:strip}")
		fi
		COMPREPLY=("${found[@]}" "${paths[@]}")
		return 0
	fi
	for c in "${found[@]}"; do
		# A reply goes into the command line as it is: anything the shell
		# would read specially (a tag set with zfs(8) can hold it) is quoted.
		if [[ $c == *[!A-Za-z0-9_./:=@,+%-]* ]]; then
			printf -v c %q "$c"
		fi
		COMPREPLY+=("$c")
	done
	# A word that asks for more (PROPERTY=, NAME@, a column list) takes no
	# space after it.
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *[=@,] ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _iocage iocage
