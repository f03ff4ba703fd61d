FROM imagesum-example/busybox:1
RUN echo "3.20" > /etc/base-version
