package ai.qubittron.bastion.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bastion} command: {@code bastion serve}, {@code bastion demo}, {@code bastion sim}. */
@Command(name = "bastion", mixinStandardHelpOptions = true, version = "Bastion 0.1.0",
        description = "Qubittron Bastion: an OpenAI-compatible LLM API gateway.",
        footer = {"", "bastion serve --config FILE runs the gateway from a configuration file (YAML or JSON); its flags "
                + "override the file, and 'bastion serve --help' lists every key of the file with its default.",
                "bastion demo runs it on its embedded defaults, in front of simulated GPU workers."},
        subcommands = {ServeCommand.class, DemoCommand.class, SimCommand.class})
public final class BastionMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with {@code serve}'s configuration reference under its options. */
    static CommandLine commandLine() {
        CommandLine line = new CommandLine(new BastionMain());
        line.getSubcommands().get("serve").getCommandSpec().usageMessage().footer(ServeCommand.footer());
        return line;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
