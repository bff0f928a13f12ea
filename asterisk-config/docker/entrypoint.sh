#!/bin/sh
# Fills the @@NAME@@ placeholders of asterisk-config/ from the environment (the same
# names as cti/lab/render.py uses), then runs Asterisk in the foreground.
set -eu
: "${AMI_SECRET:?set AMI_SECRET}"
etc=/etc/asterisk
rm -rf "$etc" && mkdir -p "$etc" /var/lib/asterisk /var/run/asterisk /var/log/asterisk /var/spool/asterisk
for f in /opt/cti/asterisk-config/*.conf /opt/cti/dialplan/*.conf; do
  sed -e "s#@@ETC@@#$etc#g" -e "s#@@LIB@@#/var/lib/asterisk#g" -e "s#@@SPOOL@@#/var/spool/asterisk#g" \
      -e "s#@@RUN@@#/var/run/asterisk#g" -e "s#@@LOG@@#/var/log/asterisk#g" \
      -e "s#@@AMI_BIND@@#${AMI_BIND:-0.0.0.0}#g" -e "s#@@AMI_PORT@@#${AMI_PORT:-5038}#g" \
      -e "s#@@AMI_USER@@#${AMI_USER:-cti}#g" -e "s#@@AMI_SECRET@@#$AMI_SECRET#g" \
      -e "s#@@AMI_PERMIT@@#${AMI_PERMIT:-0.0.0.0/0.0.0.0}#g" \
      -e "s#@@RTP_START@@#${RTP_START:-10000}#g" -e "s#@@RTP_END@@#${RTP_END:-10200}#g" \
      -e "s#@@SIP_BIND@@#${SIP_BIND:-0.0.0.0}#g" -e "s#@@SIP_PORT@@#${SIP_PORT:-5060}#g" \
      -e "s#@@HTTP_BIND@@#${HTTP_BIND:-0.0.0.0}#g" -e "s#@@HTTP_PORT@@#${HTTP_PORT:-8088}#g" \
      -e "s#@@TRUNK_CONTACT@@#${TRUNK_CONTACT:-127.0.0.1:5070}#g" \
      -e "s#@@TRUNK_MATCH@@#${TRUNK_MATCH:-0.0.0.0/0}#g" \
      -e "s#@@AGENT_REWRITE_CONTACT@@#yes#g" "$f" > "$etc/$(basename "$f")"
done
: > "$etc/pjsip_devices.conf"
for d in $(seq "${DEVICE_FIRST:-1001}" "${DEVICE_LAST:-1020}"); do
  printf '[%s](agent-device)\naors=%s\n[%s](agent-aor)\n' "$d" "$d" "$d" >> "$etc/pjsip_devices.conf"
done
# Browsers' softphones (issue 15): only with a secret, which the CTI server is given too.
if [ -n "${WEBRTC_SECRET:-}" ]; then
  for d in $(seq "${WEBRTC_FIRST:-1901}" "${WEBRTC_LAST:-1904}"); do
    # cti/softphone.py rule 1: HMAC-SHA256(secret, device), its first 32 hex digits.
    pw=$(printf %s "$d" | openssl dgst -sha256 -hmac "$WEBRTC_SECRET" | awk '{print $NF}' | cut -c1-32)
    printf '[%s](webrtc-device)\naors=%s\nauth=%s\n[%s](webrtc-auth)\nusername=%s\npassword=%s\n[%s](agent-aor)\n' \
      "$d" "$d" "$d" "$d" "$d" "$pw" "$d" >> "$etc/pjsip_devices.conf"
  done
fi
chmod 600 "$etc/pjsip_devices.conf"
exec /usr/sbin/asterisk -f -C "$etc/asterisk.conf"
