package ai.qubittron.bastion.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bastion} command: {@code bastion demo}, {@code bastion sim}. */
@Command(name = "bastion", mixinStandardHelpOptions = true, version = "Bastion 0.1.0",
        description = "Qubittron Bastion: an OpenAI-compatible LLM API gateway.",
        subcommands = {DemoCommand.class, SimCommand.class})
public final class BastionMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BastionMain()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
