#!/bin/sh
echo "starting notebook server"
