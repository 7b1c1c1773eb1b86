package ai.qubittron.bastion.bench.e2e;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The benchmark reports' PNG charts, drawn with Java2D (headless, no library): grouped bars, and latency
 * percentile curves on the usual "nines" axis (50 %, 90 %, 99 %, 99.9 %… equally spaced).
 */
final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 70;
    /** One colour per series, in order: the peers first, Bastion last and strongest. */
    private static final Color[] PALETTE = {
        new Color(0x8c8c8c), new Color(0x4c78a8), new Color(0xe45756), new Color(0x54a24b), new Color(0xf58518)};

    private Charts() {
    }

    /** A series of a chart: its name and one value per group (bars) or its points (curves). */
    record Series(String name, double[] values) {
    }

    /**
     * Grouped bars: for each group (e.g. a connection count) one bar per series, labelled with its value.
     */
    static void bars(Path file, String title, String unit, List<String> groups, List<Series> series) throws IOException {
        double max = 0;
        for (Series s : series) {
            for (double v : s.values()) {
                max = Math.max(max, v);
            }
        }
        double top = niceCeiling(max);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image, title);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        yAxis(g, top, unit, false);
        double groupW = (double) plotW / groups.size();
        double barW = groupW * 0.8 / series.size();
        for (int gi = 0; gi < groups.size(); gi++) {
            double x0 = LEFT + gi * groupW + groupW * 0.1;
            for (int si = 0; si < series.size(); si++) {
                double v = series.get(si).values()[gi];
                int h = (int) Math.round(v / top * plotH);
                int x = (int) Math.round(x0 + si * barW);
                g.setColor(PALETTE[si % PALETTE.length]);
                g.fillRect(x, TOP + plotH - h, (int) Math.max(1, barW - 4), h);
                g.setColor(Color.DARK_GRAY);
                centered(g, format(v), x + (int) (barW - 4) / 2, TOP + plotH - h - 5);
            }
            g.setColor(Color.BLACK);
            centered(g, groups.get(gi), (int) (LEFT + gi * groupW + groupW / 2), TOP + plotH + 20);
        }
        legend(g, series);
        write(image, file);
    }

    /**
     * Latency percentile curves: each series' values are pairs {percentile, latency}, x on the nines axis
     * from 50 % to the largest percentile given, y linear in {@code unit} from 0.
     */
    static void percentiles(Path file, String title, String unit, List<Series> series) throws IOException {
        double maxNines = 1;
        double maxY = 0;
        for (Series s : series) {
            double[] v = s.values();
            for (int i = 0; i < v.length; i += 2) {
                maxNines = Math.max(maxNines, nines(v[i]));
                maxY = Math.max(maxY, v[i + 1]);
            }
        }
        maxNines = Math.ceil(maxNines);
        double top = niceCeiling(maxY);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image, title);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        yAxis(g, top, unit, true);
        double minNines = nines(50);
        for (int k = 0; k <= maxNines; k++) {
            double p = 100 * (1 - Math.pow(10, -k));
            if (p < 50) {
                p = 50;
            }
            int x = LEFT + (int) Math.round((nines(p) - minNines) / (maxNines - minNines) * plotW);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x, TOP, x, TOP + plotH);
            g.setColor(Color.BLACK);
            centered(g, trimZeros(p) + "%", x, TOP + plotH + 20);
        }
        centered(g, "percentile", LEFT + plotW / 2, TOP + plotH + 45);
        g.setStroke(new BasicStroke(2.5f));
        for (int si = 0; si < series.size(); si++) {
            double[] v = series.get(si).values();
            g.setColor(PALETTE[si % PALETTE.length]);
            int px = -1;
            int py = -1;
            for (int i = 0; i < v.length; i += 2) {
                int x = LEFT + (int) Math.round((nines(v[i]) - minNines) / (maxNines - minNines) * plotW);
                int y = TOP + plotH - (int) Math.round(v[i + 1] / top * plotH);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
        }
        legend(g, series);
        write(image, file);
    }

    /** -log10(1 - p/100): 50 % → 0.30, 90 % → 1, 99 % → 2. */
    private static double nines(double percentile) {
        return -Math.log10(1 - Math.min(percentile, 99.9999) / 100);
    }

    private static Graphics2D canvas(BufferedImage image, String title) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centered(g, title, WIDTH / 2, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    private static void yAxis(Graphics2D g, double top, String unit, boolean grid) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        for (int k = 0; k <= 5; k++) {
            int y = TOP + plotH - plotH * k / 5;
            g.setColor(new Color(0xe0e0e0));
            if (grid || k > 0) {
                g.drawLine(LEFT, y, LEFT + plotW, y);
            }
            g.setColor(Color.BLACK);
            String label = format(top * k / 5);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
        g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
        g.rotate(-Math.PI / 2);
        centered(g, unit, -(TOP + plotH / 2), 20);
        g.rotate(Math.PI / 2);
    }

    private static void legend(Graphics2D g, List<Series> series) {
        int x = LEFT + 10;
        int y = TOP + 8;
        for (int si = 0; si < series.size(); si++) {
            g.setColor(PALETTE[si % PALETTE.length]);
            g.fillRect(x, y + si * 18, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(series.get(si).name(), x + 18, y + si * 18 + 11);
        }
    }

    private static void centered(Graphics2D g, String text, int x, int y) {
        FontMetrics m = g.getFontMetrics();
        g.drawString(text, x - m.stringWidth(text) / 2, y);
    }

    /** The smallest 1, 2 or 5 × 10^k at least {@code v} (and at least 1). */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double scale = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * scale >= v) {
                return m * scale;
            }
        }
        return 10 * scale;
    }

    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String trimZeros(double p) {
        String s = String.format(Locale.ROOT, "%.4f", p);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static void write(BufferedImage image, Path file) throws IOException {
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }
}
