# gdb still works on a remapped process: attached to it, it names the
# functions on the stack (it reads the ELF file, not the mapping names).
. tests/integration/lib.sh
need_ptrace
need_thp
command -v gdb >/dev/null || skip "gdb is not installed"
"$H" --backing=thp "$P/bigtext-pie" --calls 4000000000 > /dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_released $pid "$P/bigtext-pie"
grep -q 'r-xp 00000000 00:00 0' /proc/$pid/maps || fail "text was not copied"
gdb -batch -p $pid -ex 'bt' -ex 'info symbol $pc' > "$TMP/gdb" 2>&1
grep -Eq 'in (main|bt_f[0-9]+) ' "$TMP/gdb" || fail "gdb named no function: $(cat "$TMP/gdb")"
note "$(grep -E '^#[0-9]' "$TMP/gdb" | head -n 2 | tr '\n' ' ')"
kill $pid
wait $pid 2>/dev/null
exit 0
