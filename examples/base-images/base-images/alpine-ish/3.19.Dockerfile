FROM imagesum-example/busybox:1
RUN echo "3.19" > /etc/base-version
