#!/bin/sh
# stop-daemons.sh RUNDIR: stop the Lamina daemons of a private instance, by
# the pid files they keep under RUNDIR (lamina-hv, lamina-xenstored,
# lamina-blkback, lamina-netback), and wait up to 5 s for each to go.
# Tests call it from their exit traps.
rundir=$1
[ -n "$rundir" ] || exit 0
for f in "$rundir/lamina-hv.pid" "$rundir/xenstored/xenstored.pid" \
         "$rundir/lamina-blkback.pid" "$rundir/lamina-netback.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    case $pid in ''|*[!0-9]*) continue ;; esac
    kill "$pid" 2>/dev/null || continue
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
done
exit 0
