#!/bin/sh
# xenstore-utils.sh: Debian's xenstore-utils against a private lamina-xenstored; hostile clients.
# SPDX-License-Identifier: MIT
#
# Needs $XENSTORED (the daemon to test; the make check wrapper sets it),
# xenstore-utils (installed with apt-get when missing and we are root, else
# SKIP) and perl (Debian's perl-base) for the raw-socket clients.

set -u

skip() {
    echo "xenstore-utils.sh: skipped: $*"
    exit 77
}
fail() {
    echo "xenstore-utils.sh: failed: $*"
    [ -n "${work:-}" ] && [ -f "$work/log" ] && sed 's/^/  log: /' "$work/log" | tail -20
    exit 1
}

: "${XENSTORED:?set XENSTORED to the lamina-xenstored binary to test}"
[ -x "$XENSTORED" ] || fail "$XENSTORED is not executable (build it first)"
command -v perl >/dev/null 2>&1 || skip "perl is needed for the raw socket clients"
if ! command -v xenstore-read >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -q xenstore-utils >/dev/null 2>&1 ||
            skip "xenstore-utils missing and apt-get install xenstore-utils failed"
    else
        skip "xenstore-utils not installed (apt-get install xenstore-utils)"
    fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/xenstore-utils.XXXXXX") || fail "mktemp"
XENSTORED_PATH="$work/socket"
export XENSTORED_PATH
bg_pids=""

cleanup() {
    for p in $bg_pids; do
        kill "$p" 2>/dev/null
    done
    if [ -f "$work/pid" ]; then
        kill "$(cat "$work/pid")" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" != "$3" ]; then
        printf 'expected:\n%s\ngot:\n%s\n' "$2" "$3"
        fail "$1"
    fi
}

# The daemon detaches once its socket accepts connections.
"$XENSTORED" --fake-domains -p "$work/pid" -l "$work/log" || fail "lamina-xenstored did not start"
[ -S "$XENSTORED_PATH" ] || fail "no socket at $XENSTORED_PATH"

# ---- The scripted scenario ----

check "initial tree" 'tool = ""
 xenstored = ""' "$(xenstore-ls)"

xenstore-write /local/domain/0/name Domain-0 /local/domain/0/domid 0 || fail "xenstore-write"
xenstore-write /vm/abc/name guest /vm/abc/memory 512 || fail "xenstore-write two pairs"
check "read" "Domain-0" "$(xenstore-read /local/domain/0/name)"
check "read several" "guest
512" "$(xenstore-read /vm/abc/name /vm/abc/memory)"
check "relative path is under /local/domain/0" "0" "$(xenstore-read domid)"
xenstore-write note "has spaces and	a tab" || fail "relative write"
check "value with spaces (tab escaped)" 'has spaces and\ta tab' \
    "$(xenstore-read /local/domain/0/note)"

check "ls" 'tool = ""
 xenstored = ""
local = ""
 domain = ""
  0 = ""
   name = "Domain-0"
   domid = "0"
   note = "has spaces and\ta tab"
vm = ""
 abc = ""
  name = "guest"
  memory = "512"' "$(xenstore-ls)"
check "ls -f" '/vm/abc = ""
/vm/abc/name = "guest"
/vm/abc/memory = "512"' "$(xenstore-ls -f /vm)"
check "list" "name
memory" "$(xenstore-list /vm/abc)"

xenstore-exists /vm/abc/name || fail "exists: present"
if xenstore-exists /vm/abc/nothing 2>/dev/null; then fail "exists: absent"; fi
if xenstore-read /vm/nothing 2>/dev/null; then fail "read of a missing node succeeded"; fi

xenstore-chmod /vm/abc r0 b5 w7 || fail "chmod"
check "ls -p" 'abc = "" . . . . . . . . . . . . . . . . . . . . . . . . . .  (r0,b5,w7)
 name = "guest"  . . . . . . . . . . . . . . . . . . . . . .  (n0)
 memory = "512"  . . . . . . . . . . . . . . . . . . . . . .  (n0)' "$(xenstore-ls -p /vm)"
xenstore-chmod -r /vm/abc n0 r3 || fail "chmod -r"
check "chmod -r" '/vm/abc = ""   (n0,r3)
/vm/abc/name = "guest"   (n0,r3)
/vm/abc/memory = "512"   (n0,r3)' "$(xenstore-ls -f -p /vm)"
if xenstore-chmod /vm/abc x9 2>/dev/null; then fail "chmod accepted a bad permission"; fi

xenstore-rm /vm/abc/memory || fail "rm"
check "after rm" 'name' "$(xenstore-list /vm/abc)"
xenstore-rm /vm/abc/memory || fail "rm of an absent node with a parent is fine"
if xenstore-rm /vm/none/at-all 2>/dev/null; then fail "rm without a parent succeeded"; fi
xenstore-rm /vm || fail "rm of a subtree"
if xenstore-exists /vm/abc/name 2>/dev/null; then fail "subtree survived rm"; fi

# xenstore-watch: the first event is the watch itself, then one per change.
timeout 10 xenstore-watch -n 4 /w >"$work/watch.out" 2>&1 &
watch_pid=$!
bg_pids="$bg_pids $watch_pid"
sleep 0.3
xenstore-write /w/a 1 /w/b 2 || fail "write under the watch"
xenstore-write /elsewhere 1 || fail "write elsewhere"
xenstore-rm /w || fail "rm under the watch"
wait "$watch_pid" || fail "xenstore-watch did not see 4 events (exit $?)"
check "watch events" '/w
/w/a
/w/b
/w' "$(cat "$work/watch.out")"

# ---- Hostile raw clients ----

cat >"$work/client.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket;

$| = 1;
my $path = $ENV{XENSTORED_PATH};
my %type = (CONTROL => 0, READ => 2, WATCH => 4, INTRODUCE => 8, WRITE => 11, ERROR => 16);

sub conn {
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
        or die "connect $path: $!";
    return $s;
}

sub send_req {
    my ($s, $t, $payload) = @_;
    my $msg = pack("VVVV", $type{$t}, 7, 0, length $payload) . $payload;
    return syswrite($s, $msg);
}

sub readn {
    my ($s, $n) = @_;
    my $buf = '';
    while (length $buf < $n) {
        my $r = sysread($s, my $chunk, $n - length $buf);
        return undef unless $r;
        $buf .= $chunk;
    }
    return $buf;
}

# Next non-event reply as "TYPE:body" (body's trailing NUL dropped).
sub reply {
    my ($s) = @_;
    while (1) {
        my $h = readn($s, 16);
        return "EOF" unless defined $h;
        my ($t, $id, $tx, $len) = unpack("VVVV", $h);
        my $body = $len ? readn($s, $len) : '';
        return "EOF" unless defined $body;
        next if $t == 15;
        $body =~ s/\0$//;
        $body =~ s/\0/,/g;
        return ($t == $type{ERROR} ? "ERROR:" : "") . $body;
    }
}

my $mode = shift @ARGV;
$SIG{ALRM} = sub { print "timeout\n"; exit 1 };
alarm 20;

if ($mode eq 'oversize') {
    my $s = conn();
    syswrite($s, pack("VVVV", 2, 1, 0, 100000));
    print reply($s), "\n";
} elsif ($mode eq 'garbage') {
    my $s = conn();
    srand(42);
    syswrite($s, join('', map { chr(int(rand(256))) } 1 .. 65536));
    1 while defined readn($s, 1);
    print "done\n";
} elsif ($mode eq 'partial') {
    my $s = conn();
    syswrite($s, substr(pack("VVVV", 2, 1, 0, 6), 0, 7));
    sleep(shift @ARGV);
} elsif ($mode eq 'flood') {
    my $s = conn();
    $s->blocking(0);
    my $msg = pack("VVVV", 2, 1, 0, 6) . "/tool\0";
    for (1 .. 50000) { last unless defined syswrite($s, $msg); }
    sleep(shift @ARGV);
} elsif ($mode eq 'guest') {
    # dom0 introduces domain 9; a second connection becomes it.
    my $d0 = conn();
    send_req($d0, 'INTRODUCE', "9\0" . "1234\0" . "1\0");
    print "introduce ", reply($d0), "\n";
    my $g = conn();
    send_req($g, 'CONTROL', "attach-domain\0" . "9\0");
    print "attach ", reply($g), "\n";
    send_req($g, 'READ', "/local/domain/0/name\0");
    print "read dom0's name ", reply($g), "\n";
    send_req($g, 'WRITE', "/vm/x\0y");
    print "write outside its home ", reply($g), "\n";
    send_req($g, 'INTRODUCE', "10\0" . "1\0" . "1\0");
    print "introduce as a guest ", reply($g), "\n";
} elsif ($mode eq 'lazy-guest') {
    # A guest that watches a busy tree and never reads its events.
    my $d0 = conn();
    send_req($d0, 'INTRODUCE', "11\0" . "1\0" . "1\0");
    reply($d0);
    my $g = conn();
    send_req($g, 'CONTROL', "attach-domain\0" . "11\0");
    reply($g);
    send_req($g, 'WATCH', "/busy\0" . "t\0");
    print "watch ", reply($g), "\n";
    sleep(shift @ARGV);
}
PERL

check "oversize message: dropped" "EOF" "$(perl "$work/client.pl" oversize)"
check "garbage: survives" "done" "$(perl "$work/client.pl" garbage)"
perl "$work/client.pl" partial 30 &
bg_pids="$bg_pids $!"
perl "$work/client.pl" flood 30 &
bg_pids="$bg_pids $!"
sleep 0.3
i=0
while [ $i -lt 50 ]; do
    [ "$(xenstore-read /local/domain/0/name)" = "Domain-0" ] ||
        fail "a well-behaved client was not served next to hostile ones"
    i=$((i + 1))
done

check "guest permissions" "introduce OK
attach OK
read dom0's name ERROR:EACCES
write outside its home ERROR:EACCES
introduce as a guest ERROR:EACCES" "$(perl "$work/client.pl" guest)"

xenstore-write /busy "" || fail "write /busy"
xenstore-chmod /busy r0 || fail "chmod /busy"
perl "$work/client.pl" lazy-guest 30 >"$work/lazy.out" &
bg_pids="$bg_pids $!"
i=0
while [ ! -s "$work/lazy.out" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
check "lazy guest's watch" "watch OK" "$(cat "$work/lazy.out")"
# ~1 KiB events: the kernel's socket buffer fills first, then the daemon's queue.
long=$(printf '%01000d' 0)
i=0
while [ $i -lt 1500 ]; do
    echo "/busy/$long$i v"
    i=$((i + 1))
done | xargs xenstore-write || fail "writes under /busy"
i=0
while ! grep -q "domain 11) closed" "$work/log" && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q "domain 11) closed: too many watch events" "$work/log" ||
    fail "the guest that never reads its events was not dropped"
check "still serving" "Domain-0" "$(xenstore-read /local/domain/0/name)"

# SIGHUP reopens the log (log rotation): a new file, the daemon serving on.
mv "$work/log" "$work/log.1"
kill -HUP "$(cat "$work/pid")"
i=0
while ! grep -q "log reopened on SIGHUP" "$work/log" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q "log reopened on SIGHUP" "$work/log" 2>/dev/null || fail "no new log after SIGHUP"
check "serving after SIGHUP" "Domain-0" "$(xenstore-read /local/domain/0/name)"

kill "$(cat "$work/pid")"
i=0
while [ -e "$work/pid" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ -e "$work/pid" ] && fail "lamina-xenstored did not stop on SIGTERM"
grep -q "runtime error\|AddressSanitizer" "$work/log" "$work/log.1" &&
    fail "sanitizer report in the log"
echo "xenstore-utils.sh: all checks passed"
exit 0
