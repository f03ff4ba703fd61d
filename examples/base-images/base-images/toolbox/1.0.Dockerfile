FROM registry.example.com/base/alpine-ish:3.20
COPY tools.txt /etc/tools.txt
