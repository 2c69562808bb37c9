# lamina.m4: configure helpers for Lamina.

# LAMINA_REQUIRE_PKG(VAR, MODULES, DEBIAN-PACKAGE)
# Find MODULES with pkg-config or stop with a message naming the Debian package.
AC_DEFUN([LAMINA_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found by pkg-config. On Debian: apt-get install $3])])
])

# AX_PTHREAD_SIMPLE: glibc >= 2.34 has pthreads in libc; -pthread still sets
# the right macros for older toolchains.
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])

# LAMINA_CHECK_GUEST_FLAGS: the compiler must accept the freestanding flags
# used for guest code.
AC_DEFUN([LAMINA_CHECK_GUEST_FLAGS], [
  AC_MSG_CHECKING([whether $CC builds freestanding guest code])
  lamina_save_CFLAGS=$CFLAGS
  lamina_save_LDFLAGS=$LDFLAGS
  CFLAGS="$GUEST_CFLAGS"
  LDFLAGS="$GUEST_LDFLAGS -Wl,-e,start"
  AC_LINK_IFELSE([AC_LANG_SOURCE([[void start(void); void start(void) { for (;;) ; }]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([$CC cannot build freestanding x86-64 code with: $GUEST_CFLAGS])])
  CFLAGS=$lamina_save_CFLAGS
  LDFLAGS=$lamina_save_LDFLAGS
])
