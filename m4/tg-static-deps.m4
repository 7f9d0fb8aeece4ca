dnl SPDX-License-Identifier: GPL-3.0-or-later
dnl
dnl TG_CHECK_STATIC_DEPS: what configure --enable-static-deps checks and sets
dnl (configure.ac says why a build would want it and what it costs).
dnl GMime, GIO, GObject, GModule, GLib, PCRE2 and libffi are linked from
dnl their archives, and libselinux and GMime's own dependencies where all
dnl of a group's archives are installed; libpq from its archive with
dnl libpgcommon, libpgport and OpenSSL. src/libmount-static.c and
dnl src/libpq-static.c stand in for libmount, GSSAPI and OpenLDAP, which
dnl Debian ships no archives of. Missing archives stop configure with
dnl the packages to install; nothing falls back to shared libraries.
dnl
dnl Sets GMIME_LIBS, GLIB_LIBS and LIBPQ_LIBS, defines TG_STATIC_DEPS.

dnl TG_ARCHIVE_PACKAGE(LIB): the Debian package that ships libLIB.a, in
dnl tg_package.
AC_DEFUN([TG_ARCHIVE_PACKAGE], [
  AS_CASE([$1],
    [gmime-3.0], [tg_package=libgmime-3.0-dev],
    [gio-2.0|gobject-2.0|gmodule-2.0|glib-2.0], [tg_package=libglib2.0-dev],
    [pcre2-8], [tg_package=libpcre2-dev],
    [ffi], [tg_package=libffi-dev],
    [pq], [tg_package=libpq-dev],
    [ssl|crypto], [tg_package=libssl-dev],
    [pgcommon_shlib|pgport_shlib], [tg_package=postgresql-server-dev-$tg_pg_major],
    [tg_package=lib$1-dev])
])

dnl TG_ARCHIVES_MISSING(DIR, LIBS): adds the archives of LIBS that DIR
dnl lacks to tg_missing, and their packages to tg_packages.
AC_DEFUN([TG_ARCHIVES_MISSING], [
  for tg_lib in $2; do
    test -f "$1/lib$tg_lib.a" && continue
    tg_missing="$tg_missing $1/lib$tg_lib.a"
    TG_ARCHIVE_PACKAGE([$tg_lib])
    AS_CASE([" $tg_packages "], [*" $tg_package "*], [],
      [tg_packages="$tg_packages $tg_package"])
  done
])

AC_DEFUN([TG_CHECK_STATIC_DEPS], [
  tg_libdir=`$PKG_CONFIG --variable=libdir gmime-3.0`
  tg_pq_libdir=`$PKG_CONFIG --variable=libdir libpq`
  AC_PATH_PROGS([PG_CONFIG], [pg_config], [])
  AS_IF([test -z "$PG_CONFIG"],
    [AC_MSG_ERROR([--enable-static-deps: pg_config not found, which says where libpgcommon_shlib.a is: install libpq-dev])])
  tg_pg_pkglibdir=`$PG_CONFIG --pkglibdir`
  tg_pg_major=`$PG_CONFIG --version | sed -n 's/^PostgreSQL \([[0-9]]*\).*/\1/p'`

  tg_static="gmime-3.0 gio-2.0 gobject-2.0 gmodule-2.0 glib-2.0 pcre2-8 ffi"
  tg_missing=""
  tg_packages=""
  TG_ARCHIVES_MISSING([$tg_libdir], [$tg_static])
  TG_ARCHIVES_MISSING([$tg_pq_libdir], [pq ssl crypto])
  TG_ARCHIVES_MISSING([$tg_pg_pkglibdir], [pgcommon_shlib pgport_shlib])
  AS_IF([test -n "$tg_missing"],
    [AC_MSG_ERROR([--enable-static-deps needs static archives that are not installed:$tg_missing; install$tg_packages (or configure without --enable-static-deps for the shared libraries)])])

  dnl GIO's libselinux too where libselinux1-dev ships its archive; it
  dnl needs pcre2, so it comes before it.
  AS_IF([test -f "$tg_libdir/libselinux.a"],
    [tg_static=`echo "$tg_static" | sed 's/pcre2-8/selinux pcre2-8/'`])
  dnl GMime's own dependencies, a group at a time where all of its
  dnl archives are installed (libgpgme-dev, libassuan-dev, libidn2-dev,
  dnl libunistring-dev, zlib1g-dev): five shared libraries fewer.
  for tg_group in "gpgme assuan gpg-error" "idn2 unistring" "z"; do
    tg_all=yes
    for tg_lib in $tg_group; do
      test -f "$tg_libdir/lib$tg_lib.a" || tg_all=no
    done
    AS_IF([test "x$tg_all" = xyes], [tg_static="$tg_static $tg_group"])
  done

  dnl What the archives need that is not among them, linked dynamically,
  dnl by its soname when only the runtime library is installed (no
  dnl lib*.so link). libmount and the libblkid it loads are not among
  dnl them: src/libmount-static.c stands in for the functions GIO names.
  tg_dynamic=""
  for tg_flag in `$PKG_CONFIG --static --libs gmime-3.0 glib-2.0 gobject-2.0`; do
    tg_name=`echo "$tg_flag" | sed -n 's/^-l//p'`
    AS_CASE([" $tg_static mount blkid "], [*" $tg_name "*], [continue])
    AS_IF([test -z "$tg_name"], [tg_dynamic="$tg_dynamic $tg_flag"; continue])
    AS_IF([test -e "$tg_libdir/lib$tg_name.so" || test -e "$tg_libdir/lib$tg_name.a"],
      [tg_dynamic="$tg_dynamic $tg_flag"; continue])
    tg_so=`cd "$tg_libdir" && ls lib$tg_name.so.* 2>/dev/null | head -n 1`
    AS_IF([test -z "$tg_so"],
      [AC_MSG_ERROR([--enable-static-deps: GMime's archives need -l$tg_name, found neither as an archive nor as a shared library in $tg_libdir])])
    tg_dynamic="$tg_dynamic -l:$tg_so"
  done
  tg_gmime_libs="-Wl,--as-needed -Wl,-Bstatic `echo $tg_static | sed 's/\([[^ ]]*\)/-l\1/g'` -Wl,-Bdynamic $tg_dynamic"
  tg_pq_libs="-Wl,-Bstatic -L$tg_pq_libdir -lpq -L$tg_pg_pkglibdir -lpgcommon_shlib -lpgport_shlib -lssl -lcrypto -Wl,-Bdynamic -pthread"

  dnl Each half linked with its stand-in, so that an archive built
  dnl against other libraries than the stand-ins declare fails here,
  dnl saying which, and not at the end of the build.
  tg_save_LIBS=$LIBS
  tg_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $GMIME_CFLAGS -I$srcdir/src"
  LIBS="$tg_gmime_libs $tg_save_LIBS"
  AC_MSG_CHECKING([whether GMime and GLib link statically, without libmount])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <gmime/gmime.h>
#include "libmount-static.c"]], [[g_mime_init (); g_mime_shutdown ();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([--enable-static-deps: $tg_gmime_libs does not link with src/libmount-static.c (config.log says why); install libgmime-3.0-dev, libglib2.0-dev, libmount-dev, libpcre2-dev and libffi-dev of one release])])
  CPPFLAGS="$tg_save_CPPFLAGS $LIBPQ_CFLAGS -I$srcdir/src"
  LIBS="$tg_pq_libs $tg_save_LIBS"
  AC_MSG_CHECKING([whether libpq links statically, without GSSAPI and LDAP])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <libpq-fe.h>
#include "libpq-static.c"]], [[PQfinish (PQconnectdb (""));]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([--enable-static-deps: $tg_pq_libs does not link with src/libpq-static.c (config.log says why); install libpq-dev, libssl-dev and postgresql-server-dev-$tg_pg_major, of libpq's version])])
  LIBS=$tg_save_LIBS
  CPPFLAGS=$tg_save_CPPFLAGS

  GMIME_LIBS=$tg_gmime_libs
  GLIB_LIBS=""
  LIBPQ_LIBS=$tg_pq_libs
  AC_DEFINE([TG_STATIC_DEPS], [1],
    [GMime, GLib and libpq are linked statically, without libmount, GSSAPI and LDAP])
])
