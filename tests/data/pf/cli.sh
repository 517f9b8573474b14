#!/bin/sh
# The `kernite pf` contract: round trips, and exit status 1 with a reason on a wrong key, a
# corrupted file and a file bound to another path. Usage: cli.sh KERNITE_BINARY
set -u
K=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL $*"; exit 1; }

head -c 5000000 /dev/urandom > "$D/plain" || fail "no input"
"$K" pf gen-key -o "$D/key" && "$K" pf gen-key -o "$D/other" || fail gen-key
"$K" pf encrypt -k "$D/key" -i "$D/plain" -o "$D/enc" --path /data/f || fail encrypt
"$K" pf verify -k "$D/key" -i "$D/enc" --path /data/f >/dev/null || fail verify
"$K" pf decrypt -k "$D/key" -i "$D/enc" -o "$D/dec" --path /data/f || fail decrypt
cmp -s "$D/plain" "$D/dec" || fail "decrypted differs"

expect_refused() {
    what=$1; shift
    "$K" "$@" 2>"$D/err" >/dev/null
    [ $? -eq 1 ] || fail "$what: exit status"
    [ "$(wc -l < "$D/err")" -eq 1 ] || fail "$what: not one line of reason"
}
expect_refused "wrong key" pf verify -k "$D/other" -i "$D/enc" --path /data/f
expect_refused "other path" pf verify -k "$D/key" -i "$D/enc" --path /data/g
cp "$D/enc" "$D/bad"
printf 'x' | dd of="$D/bad" bs=1 seek=300000 conv=notrunc 2>/dev/null
expect_refused "corrupted" pf decrypt -k "$D/key" -i "$D/bad" -o "$D/bad.out" --path /data/f
[ ! -e "$D/bad.out" ] || fail "plaintext of a corrupted file left behind"

"$K" pf wrap-key -k "$D/other" -i "$D/key" -o "$D/wrapped" || fail wrap-key
"$K" pf unwrap-key -k "$D/other" -i "$D/wrapped" -o "$D/back" || fail unwrap-key
cmp -s "$D/key" "$D/back" || fail "unwrapped key differs"
expect_refused "wrong wrapping key" pf unwrap-key -k "$D/key" -i "$D/wrapped" -o "$D/x"
"$K" pf encrypt -k "$D/key" 2>/dev/null
[ $? -eq 2 ] || fail "missing options: exit status"
echo "pf cli: ok"
