# The cost curve's plot: drover against kcat across line sizes (bench/run curve writes the data).
#   gnuplot -e "data='bench/cost-curve.tsv'; out='bench/cost-curve.png'; subtitle='...'" bench/cost_curve.gp
if (!exists("subtitle")) subtitle = ""
set terminal pngcairo size 1000,420 font "DejaVu Sans,10"
set output out
set multiplot layout 1,2 title "file → Kafka, drover (codec=raw) and kcat -P -l in the same run\n".subtitle
set logscale x 2
set xrange [48:22000]
set xtics ("64 B" 64, "200 B" 200, "1 KiB" 1024, "16 KiB" 16384)
set xlabel "line size"
set grid
set key top left
set ylabel "MB/s of lines"
set yrange [0:*]
plot data using 1:3 with linespoints lw 2 pt 7 title "drover", \
     data using 1:2 with linespoints lw 2 pt 5 dt 2 title "kcat"
set ylabel "lines/s"
set logscale y 10
set yrange [*:*]
set key top right
plot data using 1:5 with linespoints lw 2 pt 7 title "drover", \
     data using 1:4 with linespoints lw 2 pt 5 dt 2 title "kcat"
unset multiplot
