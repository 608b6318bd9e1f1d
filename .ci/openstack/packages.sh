#!/bin/sh
# Debian packages the integration tier needs beyond Python: RabbitMQ (Nova and Cinder's message bus) and
# PostgreSQL (Nova and Cinder's databases). Does nothing when they are installed already. The fixture starts
# both itself (own node/cluster, loopback or unix socket only); the packages' own services must not start:
# a policy-rc.d that forbids it is in place while apt-get runs, if the machine has none.
set -eu
missing=""
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$missing rabbitmq-server"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -z "$missing" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "installing Debian's$missing for the integration tier (apt-get)..." >&2
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  made_policy=yes
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
if [ -n "$made_policy" ]; then
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
