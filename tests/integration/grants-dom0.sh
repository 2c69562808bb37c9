#!/bin/sh
# grants-dom0.sh: a dom0 program (xengnttab) maps and copies a guest's grants.
# SPDX-License-Identifier: MIT
. "${srcdir:-.}/tests/integration/lib.sh"

guest=$lt_top/tests/guests/grants
dom0=$lt_top/tests/integration/gnttab-dom0
lt_init grants-dom0 "$guest" "$dom0"
lt_start_hv

lt_cfg grants "$guest"
lt_guest grants
if lt_wait_line grants 'grants: domid=' 60; then
    lt_dom0 gnttab-dom0 "$dom0" "$(lt_field domid)" "$(lt_field port)" "$(lt_field rw)" \
        "$(lt_field ro)" "$(lt_field copy)" "$(lt_field other)"
fi
lt_wait grants
[ "$lt_rc" -eq 0 ] || lt_fail "grants: lamina create exited with $lt_rc"

lt_expect grants "^PASS dom0's mapping: flags held, end_access refused, its writes seen"
lt_expect grants "^PASS after dom0's unmap the grants end; dom0's copy arrived"
lt_expect grants '^grants: done, 0 failures'
lt_expect gnttab-dom0 '^PASS dom0 maps'
lt_expect gnttab-dom0 '^PASS dom0 grant copies both ways'
lt_expect gnttab-dom0 '^PASS ended grants refused'
lt_expect gnttab-dom0 '^gnttab-dom0: done, 0 failures'
lt_no_fail grants
lt_finish
