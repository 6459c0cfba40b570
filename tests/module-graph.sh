#!/usr/bin/env bash
# The core's imports go one way (issue 20, item 1): no module of src/ uses
# a module that uses it back. A module is a top-level name under src/
# (src/client.rs is `client`, src/transport/*.rs are `transport`); an edge
# is a `crate::NAME` path on a code line (a `use crate::` line or a path in
# an expression; comments and docs are not code) before the file's
# `#[cfg(test)]` (tests may import anything).
#
#   bash tests/module-graph.sh
#
# Prints each edge found twice (a -> b and b -> a) and fails if there is one,
# except the pairs listed in KNOWN below, which are still to be untangled
# (each says why it is there); a KNOWN pair that no longer occurs fails too,
# so the list only shrinks.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/src" || exit 1

# Pairs still to untangle, "a b" with a < b: none now (the last one,
# error <-> resolve, went when the Ticket moved to src/ticket.rs). Keep the
# list for a pair that cannot be untangled at once, with a line on why.
KNOWN=(
)

edges=$(
    for f in $(find . -name '*.rs' | sort); do
        rel=${f#./}
        from=${rel%%/*}
        from=${from%.rs}
        [ "$from" = lib ] && continue
        awk '/^#\[cfg\(test\)\]/ { exit } { print }' "$f" |
            sed -e 's@^[[:space:]]*//.*@@' |
            grep -o 'crate::[a-z_]*' |
            sed -e 's/^crate:://' |
            while read -r to; do
                [ -n "$to" ] && [ "$to" != "$from" ] && [ -d "$to" -o -f "$to.rs" ] && echo "$from $to"
            done
    done | sort -u
)

failed=0
seen=""
while read -r a b; do
    [ -z "$a" ] && continue
    if grep -qx "$b $a" <<<"$edges" && [[ "$a" < "$b" ]]; then
        seen+="$a $b"$'\n'
        known=0
        for k in "${KNOWN[@]}"; do [ "$k" = "$a $b" ] && known=1; done
        if [ $known = 1 ]; then
            echo "known, still to untangle: $a <-> $b"
        else
            echo "FAIL: $a uses $b and $b uses $a"
            failed=1
        fi
    fi
done <<<"$edges"
for k in "${KNOWN[@]}"; do
    if ! grep -qx "$k" <<<"$seen"; then
        echo "FAIL: '$k' is untangled now: remove it from KNOWN in tests/module-graph.sh"
        failed=1
    fi
done
echo "module graph: $(wc -l <<<"$edges") edges, $([ $failed = 0 ] && echo "no new cycle" || echo "cycles above")"
exit $failed
