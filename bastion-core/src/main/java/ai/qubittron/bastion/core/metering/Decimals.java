package ai.qubittron.bastion.core.metering;

/** Short decimal text for numbers the gateway reports ({@code x_metrics}, rate-limit reset times). Stateless. */
public final class Decimals {

    private Decimals() {
    }

    /**
     * Appends a non-negative number with at most {@code places} decimals (rounded half up) and no
     * trailing zeros: {@code 1.5}, {@code 2}, {@code 0.0123}.
     *
     * @param out    where to append
     * @param value  a finite number {@code >= 0}
     * @param places the most decimals, 0 to 18
     * @return {@code out}
     */
    public static StringBuilder append(StringBuilder out, double value, int places) {
        long scale = (long) Math.pow(10, places);
        long scaled = Math.round(value * scale);
        out.append(scaled / scale);
        long fraction = scaled % scale;
        if (fraction != 0) {
            out.append('.');
            String digits = Long.toString(fraction + scale).substring(1);
            int end = digits.length();
            while (digits.charAt(end - 1) == '0') {
                end--;
            }
            out.append(digits, 0, end);
        }
        return out;
    }
}
