package ai.qubittron.bastion.netty.admin.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The dashboard's static files, read from the jar once at start: the app (HTML, CSS, JS) and the chart
 * library from its WebJar ({@code org.webjars.npm:uplot}), under {@code /dashboard/vendor/}. Only the files
 * listed here are served: no path from a request ever reaches the class loader. Immutable.
 */
final class DashboardAssets {

    /** Where the app's own files are in the jar. */
    private static final String APP = "/ai/qubittron/bastion/dashboard/";
    private static final String UPLOT_POM = "/META-INF/maven/org.webjars.npm/uplot/pom.properties";

    /** A file and its content type. */
    record Asset(byte[] body, String contentType) {
    }

    private final Map<String, Asset> byPath;

    private DashboardAssets(Map<String, Asset> byPath) {
        this.byPath = byPath;
    }

    /**
     * {@return the files, read from the class path}
     *
     * @throws IllegalStateException when one is missing from the jar
     */
    static DashboardAssets load() {
        Map<String, Asset> files = new LinkedHashMap<>();
        files.put("/dashboard/", read(APP + "index.html", "text/html; charset=utf-8"));
        files.put("/dashboard/app.js", read(APP + "app.js", "text/javascript; charset=utf-8"));
        files.put("/dashboard/app.css", read(APP + "app.css", "text/css; charset=utf-8"));
        String uplot = "/META-INF/resources/webjars/uplot/" + webJarVersion() + "/dist/";
        files.put("/dashboard/vendor/uPlot.iife.min.js", read(uplot + "uPlot.iife.min.js", "text/javascript; charset=utf-8"));
        files.put("/dashboard/vendor/uPlot.min.css", read(uplot + "uPlot.min.css", "text/css; charset=utf-8"));
        return new DashboardAssets(Map.copyOf(files));
    }

    /** {@return the file served at {@code path}, or {@code null}} */
    Asset find(String path) {
        return byPath.get(path);
    }

    /** The uPlot WebJar's version, from the pom.properties it ships, so that a version bump needs no code change. */
    private static String webJarVersion() {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("the uPlot WebJar is not on the class path (" + UPLOT_POM + ")");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Asset read(String resource, String contentType) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file missing from the jar: " + resource);
            }
            return new Asset(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
