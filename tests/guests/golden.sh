#!/bin/sh
# Regenerate golden/NAME.{stdout,status} for every case of cases.txt by
# running the binaries natively, in this directory, with only the
# variables of env.txt in the environment.
set -eu
cd "$(dirname "$0")"
mkdir -p golden
rm -f golden/*.stdout golden/*.status
grep -v '^#' cases.txt | grep -v '^$' | while IFS= read -r line; do
	name=${line%%|*}
	rest=${line#*|}
	set --
	# split the remaining fields on '|'
	old_ifs=$IFS
	IFS='|'
	# shellcheck disable=SC2086
	set -f
	set -- $rest
	set +f
	IFS=$old_ifs
	# env -i FOO=... runs with exactly env.txt's variables, and the
	# NAME=VALUE fields before the binary's.
	xargs_env=$(tr '\n' '\001' < env.txt)
	while :; do
		case $1 in
		*=*) xargs_env="$xargs_env$1$(printf '\001')"; shift ;;
		*) break ;;
		esac
	done
	bin=$1
	shift
	set +e
	(
		IFS=$(printf '\001')
		# shellcheck disable=SC2086
		exec env -i $xargs_env "./bin/$bin" "$@"
	) > "golden/$name.stdout" 2>/dev/null </dev/null
	status=$?
	set -e
	echo "$status" > "golden/$name.status"
	echo "$name: $status"
done
