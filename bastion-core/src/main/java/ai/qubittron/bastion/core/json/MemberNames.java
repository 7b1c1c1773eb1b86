package ai.qubittron.bastion.core.json;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The member names of the open objects of one document being read by a {@link JsonScanner}, to reject a
 * name that appears twice in one object (where readers disagree about which value counts: the gateway
 * must read the same {@code model} as the worker). Names are kept as ranges of the document with their
 * hashes, so an object of up to {@value #SMALL} members costs no allocation; a larger one moves to a hash
 * set of its names, so that a huge object costs time linear in its size, not quadratic.
 *
 * <p>Use: {@link #reset} per document; {@link #open} at each {@link JsonScanner#START_OBJECT} and
 * {@link #close} at its {@link JsonScanner#END_OBJECT}, with the depth of that object; {@link #add} at each
 * {@link JsonScanner#FIELD_NAME}. Not thread-safe: one instance per scanner; it keeps offsets into the
 * scanner's document, so it reads names through that scanner.
 */
public final class MemberNames {

    static final int SMALL = 16;

    private int[] hashes = new int[64];
    private int[] starts = new int[64];
    private int[] ends = new int[64];
    private boolean[] escapes = new boolean[64];
    private int size;
    /** Per depth: the index of the open object's first name. */
    private int[] bases = new int[16];
    /** Per depth: the names of an open object past {@link #SMALL} members, else null. */
    private Set<String>[] large;

    /** Forgets every name: a new document. */
    public void reset() {
        size = 0;
        if (large != null) {
            Arrays.fill(large, null);
        }
    }

    /**
     * An object opens.
     *
     * @param depth its depth, as {@link JsonScanner#depth()} gives it with its start token (1 = the top-level
     *              value)
     */
    public void open(int depth) {
        if (depth >= bases.length) {
            bases = Arrays.copyOf(bases, Math.max(depth + 1, bases.length * 2));
        }
        bases[depth] = size;
        if (large != null && depth < large.length) {
            large[depth] = null;
        }
    }

    /**
     * The object at {@code depth} has closed: its names are forgotten.
     *
     * @param depth the object's depth, as given to {@link #open}
     */
    public void close(int depth) {
        size = bases[depth];
        if (large != null && depth < large.length) {
            large[depth] = null;
        }
    }

    /**
     * Adds the scanner's current {@link JsonScanner#FIELD_NAME} to the object open at {@code depth}.
     *
     * @param scanner the scanner positioned on the name, the one that read the object's other names
     * @param depth   the object's depth
     * @return false when that object already has a member of this name (escapes decoded)
     */
    public boolean add(JsonScanner scanner, int depth) {
        if (large != null && depth < large.length && large[depth] != null) {
            return large[depth].add(scanner.text());
        }
        int base = bases[depth];
        if (size - base == SMALL) {
            Set<String> names = largeSet(depth);
            for (int i = base; i < size; i++) {
                names.add(scanner.text(starts[i], ends[i], escapes[i]));
            }
            size = base;
            return names.add(scanner.text());
        }
        int hash = scanner.textHash();
        for (int i = base; i < size; i++) {
            if (hashes[i] == hash && scanner.textEquals(starts[i], ends[i], escapes[i])) {
                return false;
            }
        }
        if (size == hashes.length) {
            int n = size * 2;
            hashes = Arrays.copyOf(hashes, n);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
            escapes = Arrays.copyOf(escapes, n);
        }
        hashes[size] = hash;
        starts[size] = scanner.textStart();
        ends[size] = scanner.textEnd();
        escapes[size] = scanner.textEscaped();
        size++;
        return true;
    }

    @SuppressWarnings("unchecked")
    private Set<String> largeSet(int depth) {
        if (large == null || depth >= large.length) {
            large = large == null ? new Set[Math.max(16, depth + 1)] : Arrays.copyOf(large, Math.max(depth + 1, large.length * 2));
        }
        Set<String> names = new HashSet<>();
        large[depth] = names;
        return names;
    }
}
