;;; llm-native.el --- Native streaming HTTP engine, and a fast backend for llm  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers

;; Author: llm-native developers
;; Maintainer: llm-native developers
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: comm, tools
;; URL: https://github.com/llm-native/llm-native
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is not part of GNU Emacs.

;; This program is free software: you can redistribute it and/or modify
;; it under the terms of the GNU General Public License as published by
;; the Free Software Foundation, either version 3 of the License, or
;; (at your option) any later version.

;; This program is distributed in the hope that it will be useful,
;; but WITHOUT ANY WARRANTY; without even the implied warranty of
;; MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
;; GNU General Public License for more details.

;; You should have received a copy of the GNU General Public License
;; along with this program.  If not, see <https://www.gnu.org/licenses/>.

;;; Commentary:

;; llm-native runs streamed HTTP requests in a C++ dynamic module: libcurl
;; on a worker thread, stream framing and JSON decoding there, and
;; callbacks delivered on Emacs's main loop.  The module is built from the
;; sources shipped with the package the first time it is needed
;; (`llm-native-module-compile').
;;
;; (require 'llm-native) is all a user writes.  It loads the engine and
;; `llm-native-request' (plain streamed HTTP for any package).  When the
;; `llm' package (GNU ELPA) is loaded, before or after llm-native, its
;; providers are served natively while `llm-native-mode' is on; llm-native
;; does not depend on llm and works without it.

;;; Code:

(require 'llm-native-runtime)

;;;###autoload
(autoload 'llm-native-request "llm-native-runtime"
  "Start a streamed HTTP request on the llm-native engine." nil)
;;;###autoload
(autoload 'llm-native-request-sync "llm-native-runtime"
  "Run an HTTP request on the llm-native engine and wait for its result." nil)
;;;###autoload
(autoload 'llm-native-module-compile "llm-native-loader"
  "Build the llm-native module with CMake." t)

(declare-function llm-native-mode "llm-native-llm" (&optional arg))

(defun llm-native--llm-loading-p (&optional loaded)
  "Return non-nil while a file of llm or of llm-native's integration is loading.
LOADED, a file that has just been loaded, does not count."
  (catch 'loading
    (mapbacktrace
     (lambda (_evald function args _flags)
       (let ((name (pcase function
                     ('require (and (symbolp (car args)) (symbol-name (car args))))
                     ('load (and (stringp (car args)) (file-name-base (car args)))))))
         (when (and name (string-prefix-p "llm" name)
                    (not (member name (list "llm-native"
                                            (and loaded (file-name-base loaded))))))
           (throw 'loading t)))))
    nil))

(defun llm-native--attach-llm (&optional loaded)
  "Load llm-native's llm integration and turn `llm-native-mode' on.
Runs from `after-load-functions' (LOADED is the file just loaded)
until `llm' is loaded.  While a file of llm is still loading,
attaching waits: the integration requires llm's files, and requiring
one that is loading would load it a second time."
  (when (and (featurep 'llm) (not (llm-native--llm-loading-p loaded)))
    (remove-hook 'after-load-functions #'llm-native--attach-llm)
    (condition-case err
        (progn
          (require 'llm-native-llm)
          (llm-native-mode 1))
      (error
       (display-warning 'llm-native
                        (format "The llm integration failed to load: %s"
                                (error-message-string err))
                        :error)))))

(add-hook 'after-load-functions #'llm-native--attach-llm)
(llm-native--attach-llm)

(provide 'llm-native)
;;; llm-native.el ends here
