#!/bin/sh
# The folders depend one way: loader -> {record, helper} -> {profile,
# inject} -> common. Fails (listing each) on an include of a folder at the
# same level or above. Ends with "layers: N passed, N failed".
cd "$(dirname "$0")/.." || exit 99
rank() {
	case $1 in
	common) echo 0 ;;
	inject | profile) echo 1 ;;
	helper | record) echo 2 ;;
	loader) echo 3 ;;
	*) echo 9 ;;
	esac
}
pass=0 fail=0
for dir in common inject profile helper record loader; do
	from=$(rank $dir)
	bad=$(grep -n '#include "\.\./[a-z]*/' $dir/*.[ch] 2>/dev/null |
		while IFS= read -r line; do
			to=${line#*\"../}; to=${to%%/*}
			[ "$(rank "$to")" -lt "$from" ] || printf '%s\n' "$line"
		done)
	if [ -n "$bad" ]; then
		fail=$((fail + 1))
		echo "FAIL layers $dir: includes a folder at its level or above:"
		printf '%s\n' "$bad" | sed 's/^/    /'
	else
		pass=$((pass + 1))
	fi
done
echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
