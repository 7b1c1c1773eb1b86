package ai.qubittron.bastion.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class ProcessCpuTest {

    @Test
    void countsTheCpuTimeThisProcessSpends() {
        ProcessCpu cpu = new ProcessCpu(ProcessHandle.current());
        ProcessCpu.Sample before = cpu.sample();
        long threadStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long sink = 0;
        while (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - threadStart < 300_000_000L) {
            sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
        }
        ProcessCpu.Sample spent = cpu.sample().minus(before);
        // 300 ms of this thread's CPU, read at the kernel's 10 ms tick: at least that, less a tick or two
        assertThat(spent.totalMicros()).as("sink %d", sink).isGreaterThanOrEqualTo(270_000L);
        assertThat(spent.userMicros()).isPositive();
    }
}
