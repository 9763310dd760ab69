# Sourced by bin/sharedmap, bin/test and bin/with-jdk: finds a JDK 25+ and sets java_bin and java_home.
# Order: $JAVA_HOME, the newest under /usr/lib/jvm, java on PATH. Exits 2 with a clear message if none.

readonly SHAREDMAP_MIN_JAVA=25

# Major version of a java executable ("25" for 25.0.1, "8" for 1.8.0_x), or empty if it does not run.
# The version line is the first with a quoted version: JAVA_TOOL_OPTIONS makes the JVM print
# "Picked up JAVA_TOOL_OPTIONS: ..." before it.
java_major() {
  local line version
  line=$("$1" -version 2>&1 | grep -m 1 ' version "') || return 0
  version=$(sed -n 's/^[^"]*"\([^"]*\)".*$/\1/p' <<<"$line")
  [[ -n $version ]] || return 0
  if [[ $version == 1.* ]]; then
    version=${version#1.}
  fi
  version=${version%%[.+-]*}
  [[ $version =~ ^[0-9]+$ ]] && echo "$version"
  return 0
}

find_java() {
  local found=() major candidate best=0
  java_bin=""
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    major=$(java_major "$JAVA_HOME/bin/java")
    found+=("JAVA_HOME=$JAVA_HOME (version ${major:-unknown})")
    if [[ -n $major && $major -ge $SHAREDMAP_MIN_JAVA ]]; then
      java_bin=$JAVA_HOME/bin/java
    fi
  fi
  if [[ -z $java_bin ]]; then
    for candidate in /usr/lib/jvm/*/bin/java; do
      [[ -x $candidate ]] || continue
      major=$(java_major "$candidate")
      found+=("$candidate (version ${major:-unknown})")
      if [[ -n $major && $major -ge $SHAREDMAP_MIN_JAVA && $major -gt $best ]]; then
        best=$major
        java_bin=$candidate
      fi
    done
  fi
  if [[ -z $java_bin ]] && command -v java >/dev/null 2>&1; then
    candidate=$(command -v java)
    major=$(java_major "$candidate")
    found+=("java on PATH: $candidate (version ${major:-unknown})")
    if [[ -n $major && $major -ge $SHAREDMAP_MIN_JAVA ]]; then
      java_bin=$candidate
    fi
  fi
  if [[ -z $java_bin ]]; then
    {
      echo "sharedmap: needs a JDK $SHAREDMAP_MIN_JAVA or newer, and found none."
      if ((${#found[@]} == 0)); then
        echo "  found no java at all (JAVA_HOME unset, nothing under /usr/lib/jvm, no java on PATH)"
      else
        printf '  found: %s\n' "${found[@]}"
      fi
      echo "  Install a JDK $SHAREDMAP_MIN_JAVA+ and set JAVA_HOME to it, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64"
    } >&2
    exit 2
  fi
  java_home=$(dirname "$(dirname "$(readlink -f "$java_bin")")")
}
