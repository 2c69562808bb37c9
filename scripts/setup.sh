#!/bin/sh
# setup.sh: install dependencies, build Lamina and boot the demo domain.
#
# Builds in ./_build, then runs the hello guest-kit OS in its own domain with
# its console attached: `lamina create guest-kit/examples/hello/hello.cfg -c`.
# The hypervisor daemon (lamina-hv) it starts keeps running; its log is
# /var/log/lamina/lamina-hv.log.  Stop it with: kill $(cat /run/lamina/lamina-hv.pid)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"

lamina_install_deps
(lamina_build "$top/_build")

cd "$top/_build"
echo
echo "Booting the demo domain: lamina create guest-kit/examples/hello/hello.cfg -c"
exec ./dom0-tools/lamina create guest-kit/examples/hello/hello.cfg -c
