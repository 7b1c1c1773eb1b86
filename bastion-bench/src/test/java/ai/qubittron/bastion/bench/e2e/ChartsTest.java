package ai.qubittron.bastion.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    @TempDir
    Path dir;

    @Test
    void drawsBarsAndCurvesAsPngImages() throws Exception {
        Path bars = dir.resolve("bars.png");
        Charts.bars(bars, "Requests per second", "requests/s", List.of("1 connection", "64 connections"),
                List.of(new Charts.Series("direct", new double[] {20_000, 55_000}),
                        new Charts.Series("bastion", new double[] {5_000, 12_000})));
        Path curves = dir.resolve("curves.png");
        Charts.percentiles(curves, "Latency", "milliseconds",
                List.of(new Charts.Series("direct", new double[] {50, 0.9, 99, 5.3, 99.99, 9.8})));
        for (Path png : List.of(bars, curves)) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image).as(png.toString()).isNotNull();
            assertThat(image.getWidth()).isEqualTo(900);
            assertThat(image.getHeight()).isEqualTo(500);
        }
        // the second series' bars are drawn: some pixel has its palette colour
        BufferedImage image = ImageIO.read(bars.toFile());
        boolean drawn = false;
        for (int x = 0; x < image.getWidth() && !drawn; x++) {
            for (int y = 0; y < image.getHeight() && !drawn; y++) {
                drawn = (image.getRGB(x, y) & 0xffffff) == 0x4c78a8;
            }
        }
        assertThat(drawn).isTrue();
    }

    @Test
    void roundsAxisTopsToOneTwoOrFiveTimesAPowerOfTen() {
        assertThat(Charts.niceCeiling(0)).isEqualTo(1);
        assertThat(Charts.niceCeiling(0.3)).isEqualTo(0.5);
        assertThat(Charts.niceCeiling(1.0)).isEqualTo(1.0);
        assertThat(Charts.niceCeiling(1.01)).isEqualTo(2.0);
        assertThat(Charts.niceCeiling(62_310)).isEqualTo(100_000);
        assertThat(Charts.niceCeiling(40.3)).isEqualTo(50);
    }
}
