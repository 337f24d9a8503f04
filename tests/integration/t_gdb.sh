# gdb still works on a remapped process: attached to it, it stops the
# program at a breakpoint on a function inside the copied text (the 4 KB
# head and main are not copied, so they would prove nothing) and names it
# and its caller; the address it stops at lies in the copy.
. tests/integration/lib.sh
need_ptrace
need_thp
command -v gdb >/dev/null || skip "gdb is not installed"
"$H" --backing=thp "$P/bigtext-pie" --calls 4000000000 > /dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_released $pid "$P/bigtext-pie"
# the copy: anonymous r-x memory ([vdso] and [vsyscall] have names)
copy=$(awk '$2 == "r-xp" && $3 == "00000000" && $4 == "00:00" && $5 == "0" && NF == 5 { print $1; exit }' /proc/$pid/maps)
[ -n "$copy" ] || fail "text was not copied: $(cat /proc/$pid/maps)"
# bt_f4096 sits 16 MB into the 32 MB of generated text: well inside the copy
gdb -batch -p $pid -ex 'break bt_f4096' -ex 'continue' -ex 'bt' -ex 'info symbol $pc' \
	-ex 'printf "pc=%lx\n", $pc' -ex 'delete' -ex 'detach' > "$TMP/gdb" 2>&1
grep -Eq '^#0 +(0x[0-9a-f]+ in )?bt_f4096 ' "$TMP/gdb" || fail "gdb did not stop in bt_f4096: $(cat "$TMP/gdb")"
grep -Eq '^#1 +0x[0-9a-f]+ in main ' "$TMP/gdb" || fail "gdb did not name the caller: $(cat "$TMP/gdb")"
grep -q '^bt_f4096 in section \.text' "$TMP/gdb" || fail "info symbol: $(cat "$TMP/gdb")"
pc=$(sed -n 's/^pc=\([0-9a-f]*\)$/\1/p' "$TMP/gdb")
lo=${copy%-*} hi=${copy#*-}
[ -n "$pc" ] && [ $((0x$pc >= 0x$lo && 0x$pc < 0x$hi)) = 1 ] || fail "pc $pc is not in the copy $copy"
note "$(grep -E '^#[0-9]' "$TMP/gdb" | head -n 2 | tr '\n' ' ')"
# the program runs on after gdb let go
sleep 0.2
[ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$pid/status)" != t ] || fail "left stopped by gdb"
grep -q '^TracerPid:[[:space:]]*0$' /proc/$pid/status || fail "gdb still attached"
kill $pid
wait $pid 2>/dev/null
exit 0
