# fish completion for iocage(8)
#
# Installed as share/fish/vendor_completions.d/iocage.fish, or loaded by
# hand:
#     iocage completion fish | source
#
# The script only talks to iocage: `iocage __complete -- WORD...` gets the
# words after "iocage" up to the one under the cursor and prints what may
# take its place, one candidate a line, so that the verbs, flags and
# arguments offered come from the same command table the command line is
# parsed with. A line ":file" or ":dir" asks for fish's own file or
# directory names instead.

function __iocage_complete
    # The words before the current one, unquoted, and the current one up
    # to the cursor.
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $words[1]
    set -e words[1]
    for line in (command $prog __complete -- $words $cur 2>/dev/null)
        switch $line
            case :file :dir
                # The value of --flag=FILE is what follows the "=".
                set -l pre (string match -r -- '^-[^=]*=' $cur)
                set -l rest (string replace -r -- '^-[^=]*=' '' $cur)
                set -l paths
                if test $line = :dir
                    set paths (__fish_complete_directories $rest)
                else
                    set paths (__fish_complete_path $rest)
                end
                for p in $paths
                    printf '%s%s\n' "$pre" $p
                end
            case ':*'
                # a directive of a newer iocage
            case '*'
                # fish quotes what it inserts, and adds no space after a
                # word that asks for more (PROPERTY=, NAME@).
                printf '%s\n' $line
        end
    end
end

complete -c iocage -f -a '(__iocage_complete)'
