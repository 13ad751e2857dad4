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

    function isTokenArray(v) {
        return Array.isArray(v) && v.length > 0 && v.every(function (x) { return typeof x === "number"; });
    }

    /**
     * Whether a server rule's condition holds for a value: the same conditions the runtime
     * checks before sending (nodes/lib/servers/server-kinds.ts, conditionHolds), read from
     * the profiles the runtime hands the editor.
     */
    function conditionHolds(condition, value) {
        if (value === undefined || value === null || !condition) {
            return false;
        }
        if ("is" in condition) {
            return value === condition.is;
        }
        if ("above" in condition) {
            return typeof value === "number" && value > condition.above;
        }
        if ("present" in condition) {
            return value !== "";
        }
        if ("notString" in condition) {
            return typeof value !== "string";
        }
        if ("nonEmpty" in condition) {
            return typeof value === "object" && Object.keys(value).length > 0;
        }
        if ("tokens" in condition) {
            return isTokenArray(value) || (Array.isArray(value) && value.length > 0 && value.every(isTokenArray));
        }
        if ("notOneString" in condition) {
            return typeof value !== "string" && !(Array.isArray(value) && value.length === 1 && typeof value[0] === "string");
        }
        if ("oneOf" in condition) {
            return condition.oneOf.indexOf(value) !== -1;
        }
        return false;
    }

    /**
     * Sections of a dialog that fold: a header `.cc-section[data-section]` folds the
     * `.cc-section-body[data-section]` of the same name. `open` says which start open.
     */
    function foldSections(container, open) {
        container.find(".cc-section[data-section]").each(function () {
            var header = $(this);
            var name = header.attr("data-section");
            var body = container.find('.cc-section-body[data-section="' + name + '"]');
            function show(visible) {
                body.toggle(visible);
                header.toggleClass("cc-open", visible).attr("aria-expanded", visible ? "true" : "false");
            }
            header.attr({ role: "button", tabindex: "0" }).on("click", function () {
                show(!body.is(":visible"));
            }).on("keydown", function (evt) {
                if (evt.key === "Enter" || evt.key === " ") {
                    evt.preventDefault();
                    show(!body.is(":visible"));
                }
            });
            show(open(name) !== false);
        });
    }

    /** Opens a folded section, e.g. when one of its fields needs the user's attention. */
    function openSection(container, name) {
        var header = container.find('.cc-section[data-section="' + name + '"]');
        if (!header.hasClass("cc-open")) {
            header.trigger("click");
        }
    }

    /** A percent-encoded part of a URL as the user meant it; as written when it is no valid encoding. */
    function percentDecoded(text) {
        try {
            return decodeURIComponent(text);
        } catch (err) {
            return text;
        }
    }

    /**
     * A URL that holds a user and password (`http://user:pass@host/v1`), split into the URL
     * without them and the two, percent-decoded; null when it holds neither, or is no URL.
     * The URL keeps the rest of the text as it was typed (a URL object would rewrite it).
     */
    function splitUserinfo(text) {
        var typed = isBlank(text) ? "" : String(text).trim();
        var url;
        try {
            url = new URL(typed);
        } catch (err) {
            return null;
        }
        if (url.username === "" && url.password === "") {
            return null;
        }
        var username = percentDecoded(url.username);
        var password = percentDecoded(url.password);
        // The userinfo runs to the last "@" before the path, query or fragment, as URLs are read.
        var userinfo = /^([A-Za-z][A-Za-z0-9+.\-]*:\/\/)[^\/?#\\]*@/.exec(typed);
        var rest;
        if (userinfo) {
            rest = userinfo[1] + typed.slice(userinfo[0].length);
        } else {
            url.username = "";
            url.password = "";
            rest = url.href;
        }
        return { url: rest, username: username, password: password };
    }

    /**
     * Sends a JSON request to one of the package's admin endpoints and calls back with
     * (error, body): the error is { status, message } with the server's own words when
     * it gave some.
     */
    function adminJson(method, url, body, callback) {
        $.ajax({
            url: url,
            method: method,
            contentType: body === undefined ? undefined : "application/json",
            data: body === undefined ? undefined : JSON.stringify(body),
            dataType: "json",
            timeout: 120000
        }).done(function (data) {
            callback(null, data);
        }).fail(function (xhr) {
            var json = xhr.responseJSON || {};
            var message = typeof json.error === "string" ? json.error
                : (json.error && typeof json.error.message === "string") ? json.error.message
                : typeof json.message === "string" ? json.message
                : (String(xhr.status || "") + " " + (xhr.statusText || "")).trim();
            callback({ status: xhr.status, message: message }, json);
        });
    }

    return {
        isBlank: isBlank,
        numberOf: numberOf,
        invalid: invalid,
        fieldValue: fieldValue,
        conditionHolds: conditionHolds,
        foldSections: foldSections,
        openSection: openSection,
        splitUserinfo: splitUserinfo,
        adminJson: adminJson
    };
})();
