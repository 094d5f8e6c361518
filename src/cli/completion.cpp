#include "cli/completion.h"

#include <fmt/format.h>

#include <vector>

namespace tt::cli {

namespace {

struct Word {
  std::string text, help;
};

// One command of the tree: its path ("ctl nodes"), what may follow it, and which of its flags
// take a value (the word after one is the value, not a command).
struct Node {
  std::string path;
  std::vector<Word> commands, flags;
  std::vector<std::string> valued;
};

// `above`: the node of the command above, whose flags may also be given here when this command
// lets them fall through (CLI11's fallthrough, as `ctl` does for --server, --token and -o).
void walk(const CLI::App& app, const std::string& path, const Node* above, std::vector<Node>& out) {
  Node node{path, {}, {}, {}};
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subs) {
    node.commands.push_back({sub->get_name(), sub->get_description()});
    for (const std::string& alias : sub->get_aliases())
      node.commands.push_back({alias, sub->get_description()});
  }
  for (const CLI::Option* o :
       app.get_options([](const CLI::Option* o) { return o->nonpositional(); })) {
    const bool takes_value = o->get_items_expected_max() > 0;
    for (const std::string& name : o->get_lnames())
      node.flags.push_back({"--" + name, o->get_description()});
    for (const std::string& name : o->get_snames())
      node.flags.push_back({"-" + name, o->get_description()});
    if (takes_value) {
      for (const std::string& name : o->get_lnames()) node.valued.push_back("--" + name);
      for (const std::string& name : o->get_snames()) node.valued.push_back("-" + name);
    }
  }
  if (above && app.get_fallthrough()) {
    node.flags.insert(node.flags.end(), above->flags.begin(), above->flags.end());
    node.valued.insert(node.valued.end(), above->valued.begin(), above->valued.end());
  }
  out.push_back(node);
  for (const CLI::App* sub : subs) {
    walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), &node, out);
    for (const std::string& alias : sub->get_aliases())
      walk(*sub, path.empty() ? alias : path + " " + alias, &node, out);
  }
}

std::string join(const std::vector<Word>& words) {
  std::string out;
  for (const Word& w : words) out += (out.empty() ? "" : " ") + w.text;
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// bash and zsh read the same case tables.
std::string sh_tables(const std::vector<Node>& nodes) {
  std::string subs, flags, valued;
  for (const Node& n : nodes) {
    subs += fmt::format("    \"{}\") echo \"{}\" ;;\n", n.path, join(n.commands));
    flags += fmt::format("    \"{}\") echo \"{}\" ;;\n", n.path, join(n.flags));
    valued += fmt::format("    \"{}\") echo \"{}\" ;;\n", n.path, join(n.valued));
  }
  return "_telltale_commands() {\n  case \"$1\" in\n" + subs + "  esac\n}\n" +
         "_telltale_flags() {\n  case \"$1\" in\n" + flags + "  esac\n}\n" +
         "_telltale_valued() {\n  case \"$1\" in\n" + valued + "  esac\n}\n";
}

// The command path of the words before the cursor, in $tt_path (bash and zsh alike; $1.. the
// words).
constexpr std::string_view kShPath = R"sh(_telltale_path() {
  tt_path="" skip=0
  for w in "$@"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$w" in
      -*=*) ;;
      -*) case " $(_telltale_valued "$tt_path") " in *" $w "*) skip=1 ;; esac ;;
      *) case " $(_telltale_commands "$tt_path") " in *" $w "*) tt_path="${tt_path:+$tt_path }$w" ;; esac ;;
    esac
  done
}
)sh";

std::string bash(const std::vector<Node>& nodes) {
  return "# bash completion for telltale: source it, or put it in "
         "/usr/share/bash-completion/completions/telltale\n" +
         sh_tables(nodes) + std::string(kShPath) + R"sh(_telltale() {
  local cur=${COMP_WORDS[COMP_CWORD]} tt_path skip w
  _telltale_path "${COMP_WORDS[@]:1:COMP_CWORD-1}"
  if [ "$skip" = 1 ]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(_telltale_flags "$tt_path")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_telltale_commands "$tt_path")" -- "$cur")) ;;
  esac
}
complete -F _telltale telltale
)sh";
}

std::string zsh(const std::vector<Node>& nodes) {
  return "#compdef telltale\n# zsh completion for telltale: put it in a directory of $fpath as "
         "_telltale, or source it\n" +
         sh_tables(nodes) + std::string(kShPath) + R"sh(_telltale() {
  local tt_path skip w
  _telltale_path "${(@)words[2,CURRENT-1]}"
  if [[ $skip == 1 ]]; then _files; return; fi
  if [[ ${words[CURRENT]} == -* ]]; then
    compadd -- ${=$(_telltale_flags "$tt_path")}
  else
    compadd -- ${=$(_telltale_commands "$tt_path")}
  fi
}
if (( $+functions[compdef] )); then compdef _telltale telltale; fi
)sh";
}

std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish(const std::vector<Node>& nodes) {
  std::string commands, flags, valued;
  for (const Node& n : nodes) {
    commands += "    case " + fish_quote(n.path) + "\n";
    for (const Word& w : n.commands)
      commands +=
          "      printf '%s\\t%s\\n' " + fish_quote(w.text) + " " + fish_quote(w.help) + "\n";
    flags += "    case " + fish_quote(n.path) + "\n";
    for (const Word& w : n.flags)
      flags += "      printf '%s\\t%s\\n' " + fish_quote(w.text) + " " + fish_quote(w.help) + "\n";
    valued += "    case " + fish_quote(n.path) + "\n      printf '%s\\n' " +
              (n.valued.empty() ? std::string("''") : join(n.valued)) + "\n";
  }
  return "# fish completion for telltale: put it in ~/.config/fish/completions/telltale.fish\n"
         "function __telltale_commands\n  switch \"$argv[1]\"\n" +
         commands + "  end\nend\n" + "function __telltale_flags\n  switch \"$argv[1]\"\n" + flags +
         "  end\nend\n" + "function __telltale_valued\n  switch \"$argv[1]\"\n" + valued +
         "  end\nend\n" +
         R"sh(function __telltale_complete
  set -l path ''
  set -l skip 0
  for w in (commandline -opc)[2..-1]
    if test $skip = 1
      set skip 0
      continue
    end
    switch $w
      case '-*=*'
      case '-*'
        contains -- $w (__telltale_valued "$path"); and set skip 1
      case '*'
        if contains -- $w (__telltale_commands "$path" | string replace -r '\t.*' '')
          set path (string trim -- "$path $w")
        end
    end
  end
  if test $skip = 1
    __fish_complete_path (commandline -ct)
  else if string match -q -- '-*' (commandline -ct)
    __telltale_flags "$path"
  else
    __telltale_commands "$path"
  end
end
complete -c telltale -f -a '(__telltale_complete)'
)sh";
}

}  // namespace

std::string completion_script(const CLI::App& root, std::string_view shell) {
  std::vector<Node> nodes;
  walk(root, "", nullptr, nodes);
  if (shell == "bash") return bash(nodes);
  if (shell == "zsh") return zsh(nodes);
  return fish(nodes);
}

}  // namespace tt::cli
