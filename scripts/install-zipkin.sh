#!/usr/bin/env bash
# Fetches the pinned Zipkin server (io.zipkin:zipkin-server exec jar, Apache-2.0, its web UI
# inside) from Maven Central into the per-user cache, and prints the jar's path. It runs on
# Debian's Java 17 (`default-jre-headless`), installed here when `java` is missing. 131 MB once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ -f "$ZIPKIN_JAR" ]; then echo "$ZIPKIN_JAR"; exit 0; fi
if ! command -v java >/dev/null; then
  say "installing Java (Debian package default-jre-headless) for Zipkin"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends default-jre-headless >&2
fi
mkdir -p "$(dirname "$ZIPKIN_JAR")"
m2="$HOME/.m2/repository/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
if [ ! -f "$m2" ]; then
  url="https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
  if command -v mvn >/dev/null; then
    say "fetching Zipkin $ZIPKIN_VERSION (Maven Central, 131 MB)"
    mvn -q dependency:get "-Dartifact=io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" -Dtransitive=false >&2
  else
    say "fetching Zipkin $ZIPKIN_VERSION from $url (131 MB)"
    m2="$ZIPKIN_JAR.download"
    curl -fL --progress-bar -o "$m2" "$url"
    expected=$(curl -fsL "$url.sha1")
    echo "$expected  $m2" | sha1sum -c --quiet - || die "Zipkin jar checksum mismatch"
  fi
fi
cp "$m2" "$ZIPKIN_JAR.tmp" && mv "$ZIPKIN_JAR.tmp" "$ZIPKIN_JAR"
rm -f "$ZIPKIN_JAR.download"
say "Zipkin $ZIPKIN_VERSION at $ZIPKIN_JAR"
echo "$ZIPKIN_JAR"
