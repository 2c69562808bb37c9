# abi-parse.awk: list the types, members, enumerators, guest handles and rings pv-abi declares.
# SPDX-License-Identifier: MIT
#
# Reads pv-abi headers, which follow a fixed layout (see pv-abi/README.md):
# an aggregate opens with "struct NAME {", "union NAME {", "typedef struct {"
# or "[typedef] enum [NAME] {" on a line of its own, has one member per line,
# and closes with "};" or "} NAME;". Nested anonymous aggregates open with
# "struct {" / "union {" and close with "} member;" (or "};" for a C11
# anonymous member). Output, one item per line:
#   A <c-type>                     an aggregate ("struct x", "union y" or a typedef name)
#   M <c-type>|<member.path>|<f>   a member; f is 1 for a flexible array member
#   T <name>                       a typedef
#   E <c-type>                     an enum type ("enum x" or its typedef name)
#   C <name>                       an enumerator
#   H <name>                       a guest handle XEN_GUEST_HANDLE(name)
#   R <name>                       a ring declared with DEFINE_RING_TYPES(name, ...)
#   D <c-type>|<array>             a static data table of struct elements
#   W <file>:<line>: <text>        a line this parser does not understand
# A file that does not follow the layout is reported rather than guessed at.

function warn(msg) {
    print "W " FILENAME ":" FNR ": " msg
}

function trim(s) {
    sub(/^[ \t]+/, "", s)
    sub(/[ \t]+$/, "", s)
    return s
}

# Name declared by a member or typedef line such as "uint8_t pad[4];",
# "XEN_GUEST_HANDLE(void) buffer;" or "struct vcpu_info *v;".
function declared_name(s,    m) {
    sub(/;[ \t]*$/, "", s)
    while (sub(/\[[^]]*\][ \t]*$/, "", s))
        ;
    sub(/[ \t]*:[ \t]*[0-9]+[ \t]*$/, "", s)
    if (match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)) {
        m = substr(s, RSTART, RLENGTH)
        return trim(m)
    }
    return ""
}

# Open a new member scope (the top-level aggregate or a nested one).
function push_scope() {
    depth++
    nmem[depth] = 0
}

function add_member(path, flex) {
    nmem[depth]++
    mem[depth, nmem[depth]] = path
    memflex[depth, nmem[depth]] = flex
}

# Close the innermost scope; name is the member it declares ("" if anonymous).
function pop_scope(name,    i, n, p, f) {
    n = nmem[depth]
    depth--
    if (name != "")
        add_member(name, 0)
    for (i = 1; i <= n; i++) {
        p = mem[depth + 1, i]
        f = memflex[depth + 1, i]
        add_member(name != "" ? name "." p : p, f)
    }
}

function emit_aggregate(ctype,    i) {
    print "A " ctype
    for (i = 1; i <= nmem[1]; i++)
        print "M " ctype "|" mem[1, i] "|" memflex[1, i]
}

# Handle one logical source line (comments and directives already removed).
function parse_line(line,    t, name, a) {
    line = trim(line)
    if (line == "")
        return

    if (in_data) {
        if (line ~ /^};$/)
            in_data = 0
        return
    }

    if (in_enum) {
        if (line ~ /^}/) {
            name = line
            sub(/^}[ \t]*/, "", name)
            sub(/[ \t]*;$/, "", name)
            if (enum_tag != "")
                print "E enum " enum_tag
            if (name != "")
                print "T " name
            in_enum = 0
            return
        }
        if (match(line, /^[A-Za-z_][A-Za-z0-9_]*/)) {
            print "C " substr(line, RSTART, RLENGTH)
            return
        }
        warn("unexpected line in enum: " line)
        return
    }

    if (depth > 0) {
        if (line ~ /^(struct|union)[ \t]*{$/) {
            push_scope()
            return
        }
        if (line ~ /^}[ \t]*[A-Za-z_0-9]*[ \t]*;$/) {
            name = line
            sub(/^}[ \t]*/, "", name)
            sub(/[ \t]*;$/, "", name)
            if (depth == 1) {
                if (agg_anon_typedef) {
                    if (name == "") {
                        warn("anonymous aggregate without a typedef name")
                    } else {
                        emit_aggregate(name)
                        print "T " name
                    }
                } else {
                    if (name != "")
                        warn("declarator after a top-level aggregate: " line)
                    emit_aggregate(agg_ctype)
                }
                depth = 0
                return
            }
            pop_scope(name)
            return
        }
        if (line ~ /;$/ && line !~ /[{}]/) {
            if (line ~ /,/ && line !~ /\(/) {
                warn("one member per line please: " line)
                return
            }
            name = declared_name(line)
            if (name == "") {
                warn("cannot find the member name: " line)
                return
            }
            add_member(name, line ~ /\[[ \t]*\][ \t]*;$/ ? 1 : 0)
            return
        }
        warn("unexpected line in aggregate: " line)
        return
    }

    # Top level.
    if (match(line, /^(typedef[ \t]+)?enum[ \t]*[A-Za-z_0-9]*[ \t]*{$/)) {
        t = line
        sub(/^(typedef[ \t]+)?enum[ \t]*/, "", t)
        sub(/[ \t]*{$/, "", t)
        enum_tag = t
        in_enum = 1
        return
    }
    if (line ~ /^typedef[ \t]+(struct|union)[ \t]*{$/) {
        agg_anon_typedef = 1
        depth = 0
        push_scope()
        return
    }
    if (match(line, /^(struct|union)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*{$/)) {
        t = line
        sub(/[ \t]*{$/, "", t)
        gsub(/[ \t]+/, " ", t)
        agg_ctype = t
        agg_anon_typedef = 0
        depth = 0
        push_scope()
        return
    }
    if (line ~ /^typedef[ \t].*;$/ && line !~ /[{}]/) {
        name = declared_name(line)
        if (name == "")
            warn("cannot find the typedef name: " line)
        else
            print "T " name
        return
    }
    if (match(line, /^DEFINE_XEN_GUEST_HANDLE\([A-Za-z_0-9]+\);$/)) {
        t = line
        sub(/^DEFINE_XEN_GUEST_HANDLE\(/, "", t)
        sub(/\);$/, "", t)
        print "H " t
        print "H const_" t
        return
    }
    if (match(line, /^__DEFINE_XEN_GUEST_HANDLE\([A-Za-z_0-9]+,/)) {
        t = line
        sub(/^__DEFINE_XEN_GUEST_HANDLE\(/, "", t)
        sub(/,.*$/, "", t)
        print "H " t
        print "H const_" t
        return
    }
    if (match(line, /^DEFINE_RING_TYPES\([A-Za-z_0-9]+,.*\);$/)) {
        t = line
        sub(/^DEFINE_RING_TYPES\(/, "", t)
        sub(/,.*$/, "", t)
        print "R " t
        ring_instances[++nring] = t
        return
    }
    if (match(line, /^static[ \t]+const[ \t]+struct[ \t]+[A-Za-z_0-9]+[ \t]+[A-Za-z_0-9]+\[\]/)) {
        split(line, a, /[ \t\[]+/)
        print "D struct " a[4] "|" a[5]
        in_data = line !~ /};$/
        return
    }
    warn("unexpected top-level line: " line)
}

# Strip comments, collect the DEFINE_RING_TYPES template, skip directives.
{
    line = $0
    if (in_comment) {
        if (index(line, "*/") == 0)
            next
        line = substr(line, index(line, "*/") + 2)
        in_comment = 0
    }
    while ((i = index(line, "/*")) > 0) {
        rest = substr(line, i + 2)
        j = index(rest, "*/")
        if (j == 0) {
            line = substr(line, 1, i - 1)
            in_comment = 1
            break
        }
        line = substr(line, 1, i - 1) " " substr(rest, j + 2)
    }

    if (in_directive) {
        cont = line ~ /\\[ \t]*$/
        if (in_template) {
            sub(/\\[ \t]*$/, "", line)
            template[++ntemplate] = line
            if (!cont)
                in_template = 0
        }
        in_directive = cont
        next
    }
    if (line ~ /^[ \t]*#/) {
        in_directive = line ~ /\\[ \t]*$/
        if (match(line, /^[ \t]*#[ \t]*define[ \t]+DEFINE_RING_TYPES\([A-Za-z_0-9]+,/)) {
            template_param = line
            sub(/^[ \t]*#[ \t]*define[ \t]+DEFINE_RING_TYPES\(/, "", template_param)
            sub(/,.*$/, "", template_param)
            in_template = in_directive
        }
        next
    }
    parse_line(line)
}

# Each ring instance declares the aggregates of the template.
END {
    if (depth > 0 || in_enum || in_comment)
        print "W end of input inside a declaration or comment"
    if (nring > 0 && ntemplate == 0)
        print "W DEFINE_RING_TYPES is used but its definition was not found"
    for (r = 1; r <= nring; r++) {
        for (k = 1; k <= ntemplate; k++) {
            line = template[k]
            gsub(template_param "##", ring_instances[r], line)
            if (k == ntemplate && line !~ /;[ \t]*$/ && trim(line) != "")
                line = line ";"
            parse_line(line)
        }
    }
}
