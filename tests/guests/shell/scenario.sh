# A shell scenario (tests/shell_test.go): pipelines, command substitution,
# subshells, a background job and wait, a trap, redirections, && and ||, a
# loop and a child's status. Run by the host's /bin/sh natively and under minemu.
echo start
echo a b c | tr a-z A-Z | sed 's/B/x/'
x=$(echo sub $(echo nested))
echo "$x"
(cd /tmp && echo subshell in $(pwd)); echo back
sleep 0.2 & p=$!; wait $p; echo "waited $?"
trap 'echo trapped USR1' USR1; kill -USR1 $$; echo after trap
echo redirected > ${TMPDIR:-/tmp}/scenario.out.$$; cat < ${TMPDIR:-/tmp}/scenario.out.$$; rm ${TMPDIR:-/tmp}/scenario.out.$$
false || echo "or works"; true && echo "and works"
for i in 1 2 3; do printf '%s,' $i; done; echo
sh -c 'exit 7'; echo "child status $?"
echo end
