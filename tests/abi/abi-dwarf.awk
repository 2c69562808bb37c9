# abi-dwarf.awk: list struct/union members from "readelf --debug-dump=info" output.
# SPDX-License-Identifier: MIT
#
# Prints "<c-type>|<member.path>" for every member of every struct and
# union in the compilation unit, naming members of nested anonymous
# aggregates the way abi-parse.awk does ("u.unbound.dom"; C11 anonymous
# members add no prefix). <c-type> is "struct x", "union x", or the typedef
# name of an untagged aggregate. Used to find members Xen's headers have
# and pv-abi lacks, and to cross-check abi-parse.awk.

function die_value(s) {
    sub(/^[ \t]*<[0-9a-f]+>[ \t]+DW_AT_[a-z_]+[ \t]*:[ \t]*/, "", s)
    return s
}

# Follow const/volatile qualifiers to the underlying type.
function strip_cv(t) {
    while (t != "" && (tag[t] == "DW_TAG_const_type" || tag[t] == "DW_TAG_volatile_type"))
        t = type[t]
    return t
}

function is_aggregate(t) {
    return tag[t] == "DW_TAG_structure_type" || tag[t] == "DW_TAG_union_type"
}

function walk(agg, key, prefix,    i, n, c, t, kid) {
    n = split(kids[agg], kid, " ")
    for (i = 1; i <= n; i++) {
        c = kid[i]
        if (tag[c] != "DW_TAG_member")
            continue
        t = strip_cv(type[c])
        if (is_aggregate(t) && name[t] == "") {
            if (name[c] != "") {
                print key "|" prefix name[c]
                walk(t, key, prefix name[c] ".")
            } else {
                walk(t, key, prefix)
            }
        } else {
            print key "|" prefix name[c]
        }
    }
}

/^ *<[0-9]+><[0-9a-f]+>: Abbrev Number: [0-9]+ \(DW_TAG_/ {
    s = $0
    sub(/^ *</, "", s)
    depth = s
    sub(/>.*/, "", depth)
    off = s
    sub(/^[0-9]+></, "", off)
    sub(/>.*/, "", off)
    t = s
    sub(/.*\(/, "", t)
    sub(/\).*/, "", t)
    cur = off
    tag[cur] = t
    stack[depth] = cur
    if (depth > 0)
        kids[stack[depth - 1]] = kids[stack[depth - 1]] " " cur
    order[++ndie] = cur
    next
}

/^ *<[0-9]+><[0-9a-f]+>: Abbrev Number: 0/ {
    cur = ""
    next
}

cur != "" && /^[ \t]*<[0-9a-f]+>[ \t]+DW_AT_name[ \t]*:/ {
    v = die_value($0)
    # Strings kept in .debug_str read "(indirect string, offset: 0x..): name".
    if (v ~ /^\(/)
        sub(/^\([^)]*\):[ \t]*/, "", v)
    name[cur] = v
    next
}

cur != "" && /^[ \t]*<[0-9a-f]+>[ \t]+DW_AT_type[ \t]*:/ {
    v = die_value($0)
    sub(/^<0x/, "", v)
    sub(/>.*/, "", v)
    type[cur] = v
    next
}

END {
    for (i = 1; i <= ndie; i++) {
        o = order[i]
        if (is_aggregate(o) && name[o] != "") {
            walk(o, (tag[o] == "DW_TAG_structure_type" ? "struct " : "union ") name[o], "")
        } else if (tag[o] == "DW_TAG_typedef") {
            t = strip_cv(type[o])
            if (is_aggregate(t) && name[t] == "")
                walk(t, name[o], "")
        }
    }
}
