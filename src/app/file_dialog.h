#pragma once
// The desktop's own file dialog: GTK 3's GtkFileChooserNative, which goes through the
// XDG desktop portal where there is one and is GTK's file chooser otherwise. It is
// modal: the call returns when the person chooses or cancels. Main thread only.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace studio {

enum class FileDialogKind { Open, Save, Folder };

struct FileDialogRequest {
  FileDialogKind kind = FileDialogKind::Open;
  std::string title;
  std::string start;  // a file or folder to start from ("" = the working folder)
  std::vector<std::pair<std::string, std::string>> filters;  // name, patterns ("*.json;*.csv")
};

// False when this build has no dialog (no GTK 3) or there is no display to show one on.
bool file_dialogs_available();

// The chosen path; nothing when the person cancelled. A dialog that cannot be shown
// throws latent::Error saying why.
std::optional<std::string> run_file_dialog(const FileDialogRequest& request);

}  // namespace studio
