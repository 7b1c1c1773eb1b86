package ai.qubittron.bastion.bench.e2e;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The programs an end-to-end benchmark runs: found on the PATH, or installed from Debian's packages. */
final class Tools {

    private Tools() {
    }

    /**
     * Makes sure each command is on the PATH; the missing ones are installed with {@code apt-get} (the Debian
     * package of the same name) when running as root, otherwise this fails saying what to install.
     */
    static void require(String... commands) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (String c : commands) {
            if (!onPath(c)) {
                missing.add(c);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IOException("missing " + missing + ": install them first (apt-get install " + String.join(" ", missing) + ")");
        }
        System.err.println("bench: installing " + missing + " from Debian's packages");
        run(List.of("apt-get", "update", "-qq"));
        List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq"));
        install.addAll(missing);
        run(install);
        for (String c : missing) {
            if (!onPath(c)) {
                throw new IOException(c + " is still missing after apt-get install");
            }
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        int status = pb.start().waitFor();
        if (status != 0) {
            throw new IOException(String.join(" ", command) + " failed with status " + status);
        }
    }

    private static boolean onPath(String command) {
        return path(command) != null;
    }

    /** The absolute path of {@code command}: on the PATH, or in /usr/sbin (nginx's, often off a non-login PATH); null if neither. */
    static String path(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)));
        dirs.add("/usr/sbin");
        for (String dir : dirs) {
            File f = new File(dir, command);
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }
}
