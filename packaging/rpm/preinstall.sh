# The drover user reads the journal as a member of systemd-journal, /var/log as one of adm.
getent group drover >/dev/null || groupadd -r drover
getent passwd drover >/dev/null ||
  useradd -r -g drover -d /var/lib/drover -s /sbin/nologin -c "drover log shipper" drover
for group in adm systemd-journal; do
  getent group "$group" >/dev/null && usermod -a -G "$group" drover || true
done
exit 0
