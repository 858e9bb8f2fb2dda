getent group drover >/dev/null || groupadd -r drover
getent passwd drover >/dev/null || useradd -r -g drover -d /var/lib/drover -s /sbin/nologin -c "drover" drover
getent group systemd-journal >/dev/null && usermod -a -G systemd-journal drover || true
