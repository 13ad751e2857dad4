/*
 * Helpers the create-completion and completion-api dialogs share. Node-RED serves this
 * file from the package's resources/ folder; each node's editor HTML loads it before its
 * own script.
 */
var CreateCompletionEditor = (function () {
    "use strict";

    var NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

    function isBlank(v) {
        return v === undefined || v === null || String(v).trim() === "";
    }

    /** The number a field holds, or null when it is blank or not a number. */
    function numberOf(v) {
        if (typeof v === "number") {
            return isFinite(v) ? v : null;
        }
        if (isBlank(v) || !NUMBER_TEXT.test(String(v).trim())) {
            return null;
        }
        return Number(String(v).trim());
    }

    /** An error message that names the field, so the node's list of problems says which one is wrong. */
    function invalid(node, labelKey, message) {
        return node._(labelKey) + ": " + message;
    }

    /**
     * A property's value: while `node` is the one being edited, what its dialog input
     * (`#<prefix><prop>`) holds now, so validators check what the user has just typed;
     * otherwise the saved value.
     */
    function fieldValue(prefix, editing, node, prop) {
        if (node === editing) {
            var input = $("#" + prefix + prop);
            if (input.length > 0) {
                return input.val();
            }
        }
        return node[prop];
    }

    return { isBlank: isBlank, numberOf: numberOf, invalid: invalid, fieldValue: fieldValue };
})();
